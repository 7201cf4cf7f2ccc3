"""Answering as people do it: keyboard only, with and without JavaScript, and saves they can see."""

import re

import pytest
from playwright.sync_api import expect

from surveys.models import Answer, Response
from tests.factories import MembershipFactory, SurveyRoundFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def setup_survey():
    team = TeamFactory(name="Payments", slug="payments")
    member = MembershipFactory(team=team, user=UserFactory(username="alice")).user
    survey_round = SurveyRoundFactory(name="2026 Q4", slug="2026-q4", teams=[team])
    return team, member, survey_round


# What has focus, whether a person can see that it has, and whether anything
# covers it (the sticky button bar must not hide the focused field).
FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  // The middle of the part of it inside the window.
  const x = box.left + box.width / 2;
  const y = (Math.max(box.top, 0) + Math.min(box.bottom, window.innerHeight)) / 2;
  const top = document.elementFromPoint(x, y);
  const label = el.labels && el.labels[0];
  return {
    tag: el.tagName.toLowerCase(),
    type: el.type || "",
    name: el.name || "",
    text: (el.innerText || el.value || "").trim().slice(0, 60),
    label: label ? label.innerText.trim().slice(0, 60) : "",
    checked: !!el.checked,
    ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
      || style.boxShadow !== "none",
    inView: box.bottom > 0 && box.top < window.innerHeight,
    uncovered: !!top && (top === el || el.contains(top) || (label && label.contains(top))),
  };
}
"""


class Keyboard:
    """Keys only; after every key the focused element must be visibly focused and in view."""

    def __init__(self, page):
        self.page = page
        self.steps = 0

    def focus(self) -> dict:
        info = self.page.evaluate(FOCUS_JS)
        # Bootstrap scrolls smoothly: give a scroll to the focused field time to end.
        for _ in range(20):
            if info is None or (info["inView"] and info["uncovered"]):
                break
            self.page.wait_for_timeout(50)
            info = self.page.evaluate(FOCUS_JS)
        assert info is not None, f"nothing has focus after {self.steps} keys"
        assert info["ring"], f"focus is not visible on {info}"
        assert info["inView"] and info["uncovered"], f"the focused element is hidden: {info}"
        return info

    def press(self, key: str, *, navigates: bool = False) -> dict | None:
        self.steps += 1
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
            return None
        self.page.keyboard.press(key)
        return self.focus()

    def type(self, text: str) -> dict:
        self.page.keyboard.type(text)
        self.steps += 1
        return self.focus()

    def tab_to(self, matches, limit: int = 60) -> dict:
        for _ in range(limit):
            info = self.press("Tab")
            if matches(info):
                return info
        pytest.fail(f"not reached with Tab in {limit} steps")

    def tab_to_question(self, name: str) -> dict:
        return self.tab_to(lambda f: f["name"] == f"q-{name}")

    def tab_to_button(self, text: str) -> dict:
        return self.tab_to(lambda f: f["tag"] in ("button", "a") and f["text"] == text)


def test_a_whole_round_can_be_answered_and_submitted_with_the_keyboard_alone(
    page, live_server, login, watch, setup_survey
):
    login("alice")
    keys = Keyboard(page)
    keys.tab_to(lambda f: f["tag"] == "a" and f["text"].startswith("2026 Q4"))
    keys.press("Enter", navigates=True)
    keys.tab_to_button("Start")
    keys.press("Enter", navigates=True)
    expect(page.get_by_role("heading", name="Continuous integration & delivery")).to_be_visible()

    # Page 1. Tab lands on a group's first level; Space chooses it, arrows move.
    keys.tab_to_question("cicd-tests")
    assert keys.press("Space")["label"].startswith("Initial")
    for _ in range(3):
        chosen = keys.press("ArrowDown")
    assert chosen["checked"] and chosen["label"].startswith("Managed")
    # One Tab stop per question: Tab leaves the group, "Don't know" included.
    assert keys.press("Tab")["name"] == "q-cicd-rollout"
    assert keys.press("ArrowDown")["label"].startswith("Developing")
    assert keys.press("Tab")["tag"] == "textarea"
    keys.type("Flaky tests.")
    keys.tab_to_button("Next")
    keys.press("Enter", navigates=True)

    # Page 2: the last option, "Not applicable", is one ArrowUp from the first.
    expect(page.get_by_role("heading", name="Incident response")).to_be_visible()
    keys.tab_to_question("ir-reviews")
    assert keys.press("ArrowUp")["label"] == "Not applicable"
    keys.press("Tab")
    keys.type("Write the timeline while it is fresh.")
    keys.tab_to_button("Next")
    keys.press("Enter", navigates=True)

    # Page 3: ordered choices, "Don't know", and a percentage.
    expect(page.get_by_role("heading", name="Delivery performance")).to_be_visible()
    keys.tab_to_question("dora-deployment-frequency")
    keys.press("Space")
    for _ in range(4):
        chosen = keys.press("ArrowDown")
    assert chosen["label"] == "Hourly to daily"
    keys.press("Tab")
    keys.press("ArrowDown")
    keys.press("Tab")
    assert keys.press("ArrowUp")["label"] == "Don't know"
    assert keys.press("Tab")["type"] == "number"
    keys.type("15")
    keys.tab_to_button("Review and submit")
    keys.press("Enter", navigates=True)

    expect(page.get_by_text("Everything required is answered.")).to_be_visible()
    keys.tab_to_button("Submit my answers")
    keys.press("Enter", navigates=True)
    expect(
        page.get_by_role("heading", name=re.compile("your answers are submitted"))
    ).to_be_visible()

    response = Response.objects.get()
    assert response.status == Response.Status.SUBMITTED
    answers = {a.question.key: a for a in Answer.objects.select_related("question", "choice")}
    assert answers["cicd-tests"].choice.label == "Managed"
    assert answers["cicd-rollout"].choice.label == "Developing"
    assert answers["cicd-reflection"].text == "Flaky tests."
    assert answers["ir-reviews"].choice.abstain == "not_applicable"
    assert answers["dora-deployment-frequency"].choice.label == "Hourly to daily"
    assert answers["dora-recovery-time"].choice.abstain == "dont_know"
    assert answers["dora-change-failure-rate"].number == 15
    watch.assert_clean()


def test_the_page_says_when_it_saved_and_warns_before_leaving_unsaved_changes(
    page, live_server, login, watch, setup_survey
):
    login("alice")
    page.get_by_role("link", name=re.compile("2026 Q4")).click()
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Continuous integration & delivery")).to_be_visible()
    page.wait_for_load_state("load")  # autosave.js is listening
    reflection = page.get_by_label("What slowed your delivery this quarter?")
    prompts = []

    def stay(dialog):
        prompts.append(dialog.type)
        dialog.dismiss()

    # Typed, then leaving at once, before the background save: the browser asks.
    page.on("dialog", stay)
    reflection.fill("Waiting for reviews.")
    page.get_by_role("link", name="Incident response").click()
    expect(page.get_by_role("heading", name="Continuous integration & delivery")).to_be_visible()
    assert prompts == ["beforeunload"]

    # Once saved, the page says so (the person's clock) and leaving is quiet.
    expect(page.get_by_text(re.compile(r"^Saved at \d\d:\d\d$"))).to_be_visible(timeout=10_000)
    page.get_by_role("link", name="Incident response").click()
    expect(page.get_by_role("heading", name="Incident response")).to_be_visible()
    assert prompts == ["beforeunload"]
    # Coming back, the page says when the draft was last saved.
    page.get_by_role("link", name="Continuous integration & delivery").click()
    expect(page.get_by_text(re.compile(r"^Last saved at \d\d:\d\d$"))).to_be_visible()
    expect(reflection).to_have_value("Waiting for reviews.")

    # The form's own buttons save everything they send: no warning.
    page.get_by_role("radio", name=re.compile(r"^Optimizing")).first.check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Incident response")).to_be_visible()
    assert prompts == ["beforeunload"]
    page.remove_listener("dialog", stay)
    assert Answer.objects.get(question__key="cicd-tests").choice.label == "Optimizing"
    watch.assert_clean()


def test_without_javascript_next_and_previous_keep_every_answer(browser, live_server, setup_survey):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name=re.compile("2026 Q4")).click()
        page.get_by_role("button", name="Start", exact=True).click()

        # A click anywhere on a level's card chooses it, scripts or not.
        first = page.get_by_role("group", name=re.compile("How automated are your tests"))
        second = page.get_by_role("group", name=re.compile("How do you roll out changes"))
        page.get_by_text("Tests gate every merge and stay fast.").click()
        second.get_by_role("radio", name="Don't know").check()
        page.get_by_label("What slowed your delivery this quarter?").fill("Flaky tests.")
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("heading", name="Incident response")).to_be_visible()
        page.get_by_role("button", name="Previous").click()

        expect(first.get_by_role("radio", name=re.compile(r"^Managed"))).to_be_checked()
        expect(second.get_by_role("radio", name="Don't know")).to_be_checked()
        expect(page.get_by_label("What slowed your delivery this quarter?")).to_have_value(
            "Flaky tests."
        )
    finally:
        context.close()
    assert Answer.objects.count() == 3
