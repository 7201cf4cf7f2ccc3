"""The retro pack: a Markdown page per team and round for facilitators.

Plain CommonMark with GitHub tables, so it renders on GitHub and GitLab and
pastes into Confluence. Everything people typed (reflections, team names) and
every questionnaire text goes through ``md_escape``: no raw HTML, no links (bare
URLs and e-mail addresses are defused: https[:]//, www[.], [@]), no mentions, no
headings or lists smuggled in.
"""

import math
import re
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from assessment import dora
from assessment.maturity import LEVELS, MAX_LEVEL, level_for_score, level_name
from reports.exporters.base import BaseExporter, ExportResult, Reflections, TeamRound
from reports.exporters.json_export import SYSTEMIC_BELOW, dont_know_hotspots
from reports.selectors import ActionReport
from surveys import privacy

TOP = 3  # items per list: a retro has time for a few topics, not twenty


# Links are defused the way security write-ups "defang" them, because GitHub and
# GitLab turn bare URLs, www. names and e-mail addresses into links, and @names
# into mentions: https://x -> https[:]//x, www.x -> www[.]x, every @ -> [@].
_URL_SCHEME = re.compile(r"\b([a-z][a-z0-9+.-]*):(?=//)", re.IGNORECASE)
_BARE_SCHEME = re.compile(r"\b(mailto|xmpp):", re.IGNORECASE)
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)


def defang_links(text: str) -> str:
    text = _URL_SCHEME.sub(r"\1[:]", text)
    text = _BARE_SCHEME.sub(r"\1[:]", text)
    text = _WWW.sub(r"\1[.]", text)
    return text.replace("@", "[@]")


def md_escape(text: Any) -> str:
    """User or questionnaire text as inert Markdown on one line.

    Whitespace runs (newlines included) become one space so nothing can open a
    block; < and > become entities so no HTML passes, and an & that would start
    an entity is escaped; URLs, www. names, e-mail addresses and @mentions are
    defused (``defang_links``: https[:]//, www[.], [@]) so nothing becomes a
    link or pings anybody; inline markup characters (and the brackets that
    defusing adds) get a backslash; a leading list, heading or setext marker is
    escaped too.
    """
    text = " ".join(str(text).split())
    # A bare & is shown as typed; only one that would start an entity is escaped.
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = defang_links(text)
    text = re.sub(r"([\\`*_\[\]|~])", r"\\\1", text)
    text = re.sub(r"^([#+=-])", r"\\\1", text)
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", text)


def _number(value: float) -> str:
    return f"{value:.2f}"


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def withheld_text(k: int) -> str:
    return f"not enough responses (n < {k})"


def _range(row: dict) -> float:
    """Maximum minus minimum, or 0 where the distribution is not shown (n < 2k)."""
    if row["minimum"] is None or row["maximum"] is None:
        return 0
    return row["maximum"] - row["minimum"]


class MarkdownExporter(BaseExporter):
    identifier = "md"
    verbose_name = "Markdown retro pack"
    description = (
        "For facilitators: headline maturity and change, biggest improvements and declines, "
        "open improvement actions and whether those done since the previous round worked, "
        "disagreements as discussion prompts, systemic issues, don't-know hotspots, the "
        "team's anonymous reflections and next-level practices. Renders on GitHub and GitLab, "
        "pastes into Confluence. The team itself and facilitators only."
    )
    extension = "md"
    content_type = "text/markdown; charset=utf-8"
    filename_suffix = "retro-pack"
    quotes_reflections = True

    def render(self) -> ExportResult:
        reflections = {item.team.pk: item for item in self.data.reflections}
        packs = [
            self.team_pack(team_round, reflections[team_round.team.pk])
            for team_round in self.data.team_rounds
        ]
        content = "\n---\n\n".join(packs)
        return ExportResult(self.filename(), self.content_type, content.encode())

    def team_pack(self, team_round: TeamRound, reflections: Reflections) -> str:
        lines: list[str] = []
        for section in (
            self._headline(team_round),
            self._questionnaire_changes(team_round),
            self._changes(team_round),
            self._actions(team_round),
            self._disagreements(team_round),
            self._systemic(team_round),
            self._dont_know(team_round),
            self._reflections(reflections),
            self._next_level(team_round),
        ):
            if section:  # a section with nothing to say (questionnaire changes) is left out
                lines.extend(section)
                lines.append("")
        return "\n".join(lines)

    # --- sections ----------------------------------------------------------------

    def _question_text(self, key: str) -> str:
        info = self.data.questions_by_key.get(key)
        return md_escape(info.text if info else key)

    def _headline(self, team_round: TeamRound) -> list[str]:
        survey_round = self.request.survey_round
        questionnaire = survey_round.questionnaire
        k = privacy.min_group_size(survey_round)
        summary, participation = team_round.summary, team_round.participation
        previous = team_round.previous_round
        today = timezone.localdate()
        responded = f"{participation.submitted} of {participation.invited} members responded"
        if not participation.invited:
            responded = f"{participation.submitted} responses"
        lines = [
            f"# Retro pack: {md_escape(team_round.team.name)}, {md_escape(survey_round.name)}",
            "",
            f"*Shipshape · {md_escape(questionnaire.title)} "
            f"v{questionnaire.version} · {responded} · privacy threshold k = {k} · "
            f"generated {today.day} {today:%B %Y}*",
            "",
            "## Headline",
            "",
        ]
        if summary["overall"] is None:
            reason = withheld_text(k) if summary["withheld"] else "no scored answers"
            lines.append(f"**Overall maturity:** {reason}.")
        else:
            headline = f"**Overall maturity: {_number(summary['overall'])} ({summary['level']})**"
            if summary["overall_partial"]:
                headline += " over the categories that can be shown"
            delta = summary["overall_delta"]
            if delta is not None and previous is not None:
                direction = "up" if delta > 0 else "down" if delta < 0 else "no change"
                amount = f" {abs(delta):.2f}" if delta else ""
                before = _number(summary["overall"] - delta)
                headline += f", {direction}{amount} since {md_escape(previous.name)} ({before})"
            elif previous is None:
                headline += ", the team's first round"
            lines.append(headline + ".")
        since = f"Change since {md_escape(previous.name)}" if previous else "Change"
        lines += [
            "",
            f"| Category | Score | Level | n | {since} |",
            "|---|---:|---|---:|---|",
        ]
        for row in team_round.categories:
            score = (
                withheld_text(k)
                if row["withheld"]
                else "no scored answers"
                if row["mean"] is None
                else _number(row["mean"])
            )
            n = "" if row["respondents"] is None else row["respondents"]  # hidden under k
            lines.append(
                f"| {md_escape(row['category_name'])} | {score} | {row['level'] or ''} "
                f"| {n} | {self._change(row['delta'], row['meaningful'])} |"
            )
        lines += ["", self._dora_line(team_round)]
        return lines

    def _questionnaire_changes(self, team_round: TeamRound) -> list[str]:
        """What changed in the questionnaire since the previous round, if its version did."""
        if not team_round.questionnaire_changes:
            return []
        previous = team_round.previous_round
        lines = [
            f"## Questionnaire changes since {md_escape(previous.name)}",
            "",
            f"This round used version {self.request.survey_round.questionnaire.version}, "
            f"{md_escape(previous.name)} version {previous.questionnaire.version}. "
            "A reworded question is compared with its earlier wording, one that replaces "
            "another with the question it replaced; a new question has no change yet.",
            "",
        ]
        for change in team_round.questionnaire_changes:
            line = f"- **{change.label}:** {md_escape(change.text)}"
            if change.previous_text:
                line += f" (was: {md_escape(change.previous_text)})"
            if change.note:
                line += f" {md_escape(change.note)}"
            lines.append(line)
        return lines

    def _dora_line(self, team_round: TeamRound) -> str:
        summary = team_round.summary
        year = summary["dora_year"]
        if summary["cluster"]:
            text = f"**Delivery performance:** {summary['cluster']} (DORA {year} clusters)"
        elif any(summary[f"{metric}_withheld"] for metric in dora.KEY_METRICS):
            text = (
                f"**Delivery performance:** no cluster, some key metrics have "
                f"{withheld_text(privacy.min_group_size(self.request.survey_round))}"
            )
        else:
            text = "**Delivery performance:** no cluster (it needs all four key metrics)"
        scores = [
            f"{name} {summary[field]:.1f} / 10"
            for name, field in (("throughput", "throughput"), ("stability", "stability"))
            if summary[field] is not None
        ]
        return text + (f"; {', '.join(scores)}." if scores else ".")

    @staticmethod
    def _change(delta: float | None, meaningful: bool | None) -> str:
        if delta is None:
            return "n/a"
        if abs(delta) < 0.005:
            return "no change"
        if meaningful:
            return f"{'▲' if delta > 0 else '▼'} {delta:+.2f}"
        return f"{delta:+.2f} (within the noise)"

    def _changes(self, team_round: TeamRound) -> list[str]:
        previous = team_round.previous_round
        if previous is None:
            return ["## Biggest changes", "", "This is the team's first round: nothing to compare."]
        title = f"## Biggest changes since {md_escape(previous.name)}"
        compared = [row for row in team_round.questions if row["delta"] is not None]
        if not compared:
            return [title, "", "No question can be compared with the previous round."]
        improvements = sorted(
            (row for row in compared if row["delta"] > 0), key=lambda row: -row["delta"]
        )[:TOP]
        declines = sorted(
            (row for row in compared if row["delta"] < 0), key=lambda row: row["delta"]
        )[:TOP]
        lines = [title, ""]
        for label, rows in (("Improvements", improvements), ("Declines", declines)):
            lines += [f"**{label}**", ""]
            if not rows:
                lines += ["- none", ""]
                continue
            for row in rows:
                lines.append(
                    f"- **{self._question_text(row['question_key'])}** "
                    f"{_number(row['previous_mean'])} → {_number(row['mean'])}, "
                    f"{self._change(row['delta'], row['meaningful'])}"
                )
            lines.append("")
        lines.append(
            "▲ and ▼ mark changes larger than the noise; the others may be chance "
            "(see docs/scoring.md)."
        )
        return lines

    def _target_text(self, key: str, is_category: bool) -> str:
        if is_category:
            return md_escape(dict(self.data.practice_categories).get(key, key))
        return self._question_text(key)

    def _action_line(self, report: ActionReport) -> str:
        action, outcome = report.action, report.outcome
        targets = "; ".join(self._target_text(key, False) for key in action.question_keys)
        about = self._target_text(action.category_key, True) + (f": {targets}" if targets else "")
        where = f"raised in {md_escape(action.raised_in.name)}"
        if action.done_in is not None:
            where += f", done in {md_escape(action.done_in.name)}"
        elif action.target_round is not None:
            where += f", due by {md_escape(action.target_round.name)}"
        line = (
            f"- **{md_escape(action.title)}** ({about}): "
            f"{action.get_status_display().lower()}, {where}."
        )
        if outcome.measured_in is None:
            return line + " Not measured yet."
        if not outcome.changes:
            return line + " Its change is not shown to you."
        changes = []
        for change in outcome.changes:
            text = self._target_text(change.key, change.is_category)
            if change.withheld:
                k = max(
                    privacy.min_group_size(action.raised_in),
                    privacy.min_group_size(outcome.measured_in),
                )
                changes.append(f"{text} {withheld_text(k)}")
            elif change.delta is None:
                changes.append(f"{text} no score to compare")
            else:
                changes.append(
                    f"{text} {_number(change.before)} → {_number(change.after)}, "
                    f"{self._change(change.delta, change.meaningful)}"
                )
        return (
            f"{line} Since {md_escape(action.raised_in.name)}: {'; '.join(changes)}. "
            f"**Outcome: {outcome.verdict}.**"
        )

    def _actions(self, team_round: TeamRound) -> list[str]:
        reports = self.data.actions.get(team_round.team.pk, [])
        previous = team_round.previous_round
        lines = ["## Improvement actions", ""]
        open_ = [r for r in reports if r.section == "open"]
        done = [r for r in reports if r.section == "done"]
        lines += ["**Open**, carried over until done or dropped:", ""]
        lines += [self._action_line(r) for r in open_] or ["- none"]
        since = f" since {md_escape(previous.name)}" if previous else ""
        lines += ["", f"**Done{since}**, and whether it worked:", ""]
        lines += [self._action_line(r) for r in done] or ["- none"]
        lines += [
            "",
            "Changes are measured from the round an action was raised in; ▲ and ▼ mark "
            "changes larger than the noise.",
        ]
        return lines

    def _plan_path(self, team_round: TeamRound, key: str) -> str:
        path = reverse("actions:create", args=[team_round.team.slug])
        return f"`{path}?round={self.request.survey_round.slug}&question={key}`"

    def _disagreements(self, team_round: TeamRound) -> list[str]:
        lines = ["## Where the team disagrees", ""]
        candidates = [
            row
            for row in team_round.questions
            if row["mean"] is not None
            and row["answered"] >= 2
            and (row["discuss"] or row["agreement"] < 1 or _range(row) >= 2)
        ]
        candidates.sort(
            key=lambda row: (not row["discuss"], row["agreement"], -_range(row), -(row["sd"] or 0))
        )
        if not candidates:
            return [*lines, "The team answered every question much alike this round."]
        lines += ["Questions with the widest spread of answers, as discussion prompts:", ""]
        for number, row in enumerate(candidates[:TOP], start=1):
            if row["minimum"] is None:
                # Fewer than 2k answers: no range, which would give answers away.
                lines += [
                    f"{number}. **{self._question_text(row['question_key'])}** Only "
                    f"{_percent(row['agreement'])} of answers are within one level of the median.",
                    "   *Ask: what do those who rated this high see that the others do not?*",
                    f"   Plan an action: {self._plan_path(team_round, row['question_key'])}",
                ]
                continue
            low, high = LEVELS[int(row["minimum"])], LEVELS[int(row["maximum"])]
            lines += [
                f"{number}. **{self._question_text(row['question_key'])}** Answers range from "
                f"{low.name} ({low.value}) to {high.name} ({high.value}); "
                f"{_percent(row['agreement'])} are within one level of the median.",
                f"   *Ask: what does someone who answered {high.name} see that someone who "
                f"answered {low.name} does not?*",
                f"   Plan an action: {self._plan_path(team_round, row['question_key'])}",
            ]
        return lines

    def _systemic(self, team_round: TeamRound) -> list[str]:
        lines = ["## Systemic issues shared with other teams", ""]
        k = privacy.min_group_size(self.request.survey_round)
        rows = [row for row in team_round.questions if row["question_key"] in self.data.systemic]
        if not rows:
            return [*lines, "No question is weak (below Defined) across most teams this round."]
        lines += [
            "Below Defined in most teams this round: worth raising beyond this team.",
            "",
        ]
        for row in rows:
            if row["mean"] is None:
                here = withheld_text(k) if row["withheld"] else "no scored answers"
            else:
                here = f"{_number(row['mean'])} ({row['level']})"
                if row["mean"] < SYSTEMIC_BELOW:
                    here += ", weak here too"
            lines.append(f"- **{self._question_text(row['question_key'])}** This team: {here}.")
        return lines

    def _dont_know(self, team_round: TeamRound) -> list[str]:
        lines = ['## "Don\'t know" hotspots', ""]
        rates = {row["question_key"]: row["dont_know_rate"] for row in team_round.questions}
        keys = sorted(dont_know_hotspots(team_round), key=lambda key: -rates[key])
        if not keys:
            return [*lines, 'No question had many "Don\'t know" or "Not applicable" answers.']
        lines += [
            "Questions the team could not answer for itself; finding out is an action in itself:",
            "",
        ]
        for key in keys:
            lines.append(
                f"- **{self._question_text(key)}** {_percent(rates[key])} answered "
                '"Don\'t know" or "Not applicable".'
            )
        return lines

    def _reflections(self, reflections: Reflections) -> list[str]:
        lines = ["## Reflections", ""]
        if reflections.withheld:
            return [*lines, reflections.reason]
        if not reflections.by_question:
            return [*lines, "Nobody wrote a reflection this round."]
        lines.append("Anonymous, grouped by prompt, in random order.")
        for info, texts in reflections.by_question:
            lines += ["", f"### {md_escape(info.text)}", ""]
            lines += [f"- {md_escape(text)}" for text in texts]
        return lines

    def _next_level(self, team_round: TeamRound) -> list[str]:
        lines = ["## Suggested next-level practices", ""]
        suggestions = []
        for row in sorted(_scored(team_round.questions), key=lambda row: row["mean"]):
            level = level_for_score(row["mean"])
            info = self.data.questions_by_key.get(row["question_key"])
            if level is None or level.value >= MAX_LEVEL or info is None:
                continue
            following = LEVELS[level.value + 1]
            descriptor = info.descriptors.get(following.value)
            if descriptor:
                suggestions.append(
                    f"- **{md_escape(info.text)}** is at {level.name} ({_number(row['mean'])}). "
                    f"Next, {following.name}: {md_escape(descriptor)}"
                )
            if len(suggestions) == TOP:
                break
        if not suggestions:
            return [*lines, "No question has a score that can be shown this round."]
        return [
            *lines,
            "From the level descriptors of the lowest-scoring questions:",
            "",
            *suggestions,
        ]


def _scored(rows: Iterable[dict]) -> list[dict]:
    return [
        row
        for row in rows
        if row["mean"] is not None and not math.isnan(row["mean"]) and level_name(row["mean"])
    ]
