"""What a person would see: checks on the rendered geometry of a page.

Role- and label-based locators find a radio button even when it is squeezed
into a column one character wide; these checks look at the boxes the browser
actually laid out.
"""

from dataclasses import dataclass
from pathlib import Path

# Where the browser suite writes failure screenshots and the layout measurements.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

# Text this long needs room to be read: a box narrower than this holding it
# means the text is wrapped a few letters per line (or cut off).
MIN_TEXT_CHARS = 12
MIN_TEXT_WIDTH_PX = 80

# Runs in the page. For each visible element that holds text of its own
# (direct text nodes, not its children's), its rendered width. Charts are SVG
# drawn by plotly (rotated axis titles are meant to be narrow) and are left out,
# as are screen-reader-only elements (Bootstrap's .visually-hidden, 1 px boxes)
# and anything not rendered (closed <details>, collapsed menus). A box squeezed
# to 0 px wide but many lines tall is exactly what this looks for.
MEASURE_JS = """
([minChars, minWidth]) => {
  const narrow = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg, script, style, template, noscript, option")) continue;
    let text = "";
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
    }
    text = text.replace(/\\s+/g, " ").trim();
    if (text.length < minChars) continue;
    if (el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 && box.height <= 1) continue;  // screen-reader only
    if (el.closest(".visually-hidden, .visually-hidden-focusable")) continue;
    if (box.width < minWidth) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.className && typeof el.className === "string"
           ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      narrow.push({element: name, text: text.slice(0, 40), width: Math.round(box.width)});
    }
  }
  narrow.sort((a, b) => a.width - b.width);
  const root = document.documentElement;
  return {
    scrollWidth: root.scrollWidth,
    viewportWidth: window.innerWidth,
    height: Math.max(root.scrollHeight, document.body.scrollHeight),
    narrow: narrow,
  };
}
"""


@dataclass(frozen=True)
class Layout:
    scroll_width: int
    viewport_width: int
    height: int
    narrow: list[dict]  # narrowest first

    def problems(self, *, max_height: int) -> list[str]:
        found = []
        if self.scroll_width > self.viewport_width:
            found.append(
                f"the page scrolls sideways: {self.scroll_width} px wide "
                f"in a {self.viewport_width} px viewport"
            )
        if self.height > max_height:
            found.append(f"the page is {self.height} px tall (at most {max_height})")
        if self.narrow:
            sample = "; ".join(
                f"{n['element']} {n['width']} px: {n['text']!r}" for n in self.narrow[:5]
            )
            found.append(
                f"{len(self.narrow)} elements hold {MIN_TEXT_CHARS}+ characters in less than "
                f"{MIN_TEXT_WIDTH_PX} px, e.g. {sample}"
            )
        return found


def measure_layout(page) -> Layout:
    data = page.evaluate(MEASURE_JS, [MIN_TEXT_CHARS, MIN_TEXT_WIDTH_PX])
    return Layout(
        scroll_width=data["scrollWidth"],
        viewport_width=data["viewportWidth"],
        height=data["height"],
        narrow=data["narrow"],
    )


def assert_layout(page, *, max_height: int) -> Layout:
    """No squeezed text, no sideways scrolling of the page, and not taller than max_height."""
    layout = measure_layout(page)
    problems = layout.problems(max_height=max_height)
    assert not problems, f"{page.url}: " + " | ".join(problems)
    return layout
