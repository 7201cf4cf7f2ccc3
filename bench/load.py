"""Load test: 50 virtual users for 60 s against `make serve`, then a check of every submit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shipshape_perf \\
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/load.py     # or: make load

Needs the synthetic organisation (generate_synthetic) in DATABASE_URL, and a
Redis database of its own in REDIS_URL (it is cleared first). Steps:

1. Creates an open round "Bench load" for the LOAD_TEAMS synthetic teams with
   the longest history (four members of each have submitted already) and
   bench users with a known password: respondents (each a member of a few of
   those teams), managers, and members who read their team's dashboard. Each
   respondent has a draft for its first team, answered up to a random page,
   so that submits arrive all through the run rather than all at its end.
2. Starts `make serve` on 127.0.0.1:PORT (gunicorn, WhiteNoise, debug off)
   with the same DATABASE_URL and REDIS_URL, and waits until it answers
   (--running: use a server started some other way instead).
3. Logs every virtual user in through the login form (CSRF token and cookie,
   correct passwords, so the login throttle never triggers). Not part of the
   timed window: a login hashes the password, on purpose slowly.
4. For DURATION seconds: respondents answer the questionnaire page by page
   like a browser (each page: GET, an autosave of half its answers, POST with
   all of them; then review, submit, the done page and their team's
   dashboard), one team after another; managers read the organisation
   dashboard (some rounds and groups) and any team's dashboard; members read
   their team's dashboard. Everyone waits a random THINK seconds between
   requests. Only HTTP to 127.0.0.1.
5. Stops the server (always, also on errors, Ctrl-C or SIGTERM), prints
   requests/s, p50/p95/p99 and errors per endpoint, then checks in the
   database that each submit answered with the success redirect is stored
   exactly once, submitted, with every answer sent, and that the materialised
   scores of the round equal a recomputation from the raw answers.
6. Deletes the round, the bench users and their sessions (--keep leaves them).

Exits with status 1 when there were errors or a submit was lost or duplicated.
"""

import argparse
import contextlib
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench-load-"
ROUND_NAME = "Bench load"
PASSWORD = "bench-load-Correct-Horse-7"
LOAD_TEAMS = 50
ALREADY_SUBMITTED = 4  # synthetic members per team who submitted before the test
TEAMS_PER_RESPONDENT = 5  # a respondent can submit once per team
DASHBOARD_ENDPOINTS = ("org dashboard GET", "team dashboard GET")
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- the client -----------------------------------------------------------------------


class RequestFailed(Exception):
    pass


@dataclass
class Sample:
    endpoint: str
    ms: float
    ok: bool
    detail: str = ""


class Browser:
    """One virtual user's cookies and connection; records every request it makes."""

    def __init__(self, port: int, samples: list[Sample]) -> None:
        self.port = port
        self.samples = samples
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def _remember_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""'):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value

    def request(
        self,
        endpoint: str,
        path: str,
        *,
        data: dict | None = None,
        expect: int = 200,
        location: str | None = None,
    ) -> tuple[bytes, str]:
        """(body, Location) of a GET, or of a form POST when `data` is given."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request("POST" if data is not None else "GET", path, body, headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self._record(endpoint, started, ok=False, detail=f"{type(exc).__name__}: {exc}")
            raise RequestFailed(endpoint) from exc
        self._remember_cookies(response)
        where = response.getheader("Location") or ""
        ok = response.status == expect and (location is None or where.endswith(location))
        detail = "" if ok else f"HTTP {response.status} {where} {content[:120]!r}"
        self._record(endpoint, started, ok=ok, detail=detail)
        if not ok:
            raise RequestFailed(f"{endpoint}: {detail}")
        return content, where

    def _record(self, endpoint: str, started: float, *, ok: bool, detail: str = "") -> None:
        ms = (time.perf_counter() - started) * 1000
        self.samples.append(Sample(endpoint, ms, ok, detail))

    def csrf_token(self, page: bytes) -> str:
        found = CSRF_INPUT.search(page)
        return found.group(1).decode() if found else self.cookies.get("csrftoken", "")

    def log_in(
        self,
        username: str,
        *,
        password: str = PASSWORD,
        expect: int = 302,
        endpoint: str = "login POST",
    ) -> bytes:
        """The login form, filled and posted; the answer's body (a redirect when it worked)."""
        page, _ = self.request("login GET", "/accounts/login/")
        body, _ = self.request(
            endpoint,
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": self.csrf_token(page),
                "username": username,
                "password": password,
            },
            expect=expect,
        )
        return body


# --- what the virtual users do --------------------------------------------------------


class FormField(NamedTuple):
    name: str  # the form field, q-<question key>
    kind: str
    choices: list[int]
    required: bool
    question_id: int


@dataclass(frozen=True)
class Slot:
    """A team a respondent answers for; a draft may exist already (a person resuming)."""

    team: str
    first_page: int = 1  # > 1: the draft holds the answers of the pages before
    stored: int = 0  # answers already in that draft


@dataclass
class Plan:
    """What the virtual users need to know, read from the database before the run."""

    round_slug: str
    pages: list[list[FormField]]
    respondents: list[tuple[str, list[Slot]]]  # username, the teams to answer for
    members: list[tuple[str, str]]  # username, team slug
    managers: list[str]
    all_team_slugs: list[str]
    closed_round_slugs: list[str]
    groups: list[str]


@dataclass
class Outcome:
    """What the run saw. Threads only append to these lists (atomic in CPython).

    `acknowledged`: (username, team slug, answers sent) of each submit that
    answered with the redirect to the done page.
    """

    samples: list[Sample] = field(default_factory=list)
    acknowledged: list[tuple[str, str, int]] = field(default_factory=list)
    journeys: list[str] = field(default_factory=list)  # team slug of each journey started
    cut_short: list[str] = field(default_factory=list)  # journeys stopped by the deadline


def _answers_for_page(rng: random.Random, page: list[FormField]) -> dict[str, str]:
    """Form values for one page: every required question, some of the others."""
    answers = {}
    for question in page:
        if question.kind in ("scale", "choice"):
            answers[question.name] = str(rng.choice(question.choices))
        elif question.kind == "percent":
            if question.required or rng.random() < 0.8:
                answers[question.name] = str(rng.randint(0, 100))
        elif rng.random() < 0.3:
            answers[question.name] = "Release trains slow us down more than the tests do."
    return answers


class Deadline(Exception):
    pass


class VirtualUser(threading.Thread):
    """One person: a respondent, a manager or a member reading their team's dashboard."""

    def __init__(self, *, number, kind, username, teams, browser, plan, deadline, think, outcome):
        super().__init__(name=f"vu-{number}", daemon=True)
        self.kind, self.username, self.browser = kind, username, browser
        self.slots = list(teams) if kind == "respondent" else []  # still to answer for
        self.own_team = teams[0].team if self.slots else (teams[0] if teams else None)
        self.plan, self.deadline, self.think, self.outcome = plan, deadline, think, outcome
        self.rng = random.Random(number)

    def pause(self) -> None:
        """Think time; stops the user once the run's time is up."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Deadline
        time.sleep(min(remaining, self.rng.uniform(*self.think)))
        if time.monotonic() >= self.deadline:
            raise Deadline

    def run(self) -> None:
        time.sleep(self.rng.uniform(0, self.think[1]))  # do not all start at once
        try:
            while True:
                try:
                    if self.slots:
                        self.answer(self.slots.pop(0))
                    elif self.kind == "manager":
                        self.read_as_manager()
                    else:
                        self.read_team_dashboard()
                except RequestFailed:
                    self.pause()  # recorded as an error; carry on like a person would
        except Deadline:
            pass

    def answer(self, slot: Slot) -> None:
        """Start (or resume) the survey for one team, page after page, and submit."""
        team = slot.team
        base = f"/surveys/{self.plan.round_slug}/{team}"
        self.outcome.journeys.append(team)
        submitted = False
        try:
            if slot.first_page == 1:
                page, _ = self.browser.request("start GET", f"{base}/")
                self.pause()
                self.browser.request(
                    "start POST",
                    f"{base}/",
                    data={"csrfmiddlewaretoken": self.browser.csrf_token(page), "prefill": "0"},
                    expect=302,
                    location=f"{base}/page/1/",
                )
            sent = slot.stored
            for number, questions in enumerate(self.plan.pages, start=1):
                if number < slot.first_page:
                    continue
                self.pause()
                html, _ = self.browser.request("page GET", f"{base}/page/{number}/")
                token = self.browser.csrf_token(html)
                answers = _answers_for_page(self.rng, questions)
                self.pause()
                half = dict(list(answers.items())[: len(answers) // 2])
                self.browser.request(
                    "autosave POST",
                    f"{base}/autosave/",
                    data={"csrfmiddlewaretoken": token, "page": number, **half},
                )
                self.pause()
                last = number == len(self.plan.pages)
                self.browser.request(
                    "page POST",
                    f"{base}/page/{number}/",
                    data={
                        "csrfmiddlewaretoken": token,
                        "page": number,
                        "action": "review" if last else "next",
                        **answers,
                    },
                    expect=302,
                )
                sent += len(answers)
            self.pause()
            html, _ = self.browser.request("review GET", f"{base}/review/")
            self.pause()
            self.browser.request(
                "submit POST",
                f"{base}/review/",
                data={"csrfmiddlewaretoken": self.browser.csrf_token(html)},
                expect=302,
                location=f"{base}/done/",
            )
            self.outcome.acknowledged.append((self.username, team, sent))
            submitted = True
            self.pause()
            self.browser.request("done GET", f"{base}/done/")
            self.pause()
            self.browser.request("team dashboard GET", f"/reports/teams/{team}/")
            self.pause()
        except Deadline:
            if not submitted:
                self.outcome.cut_short.append(team)
            raise

    def read_as_manager(self) -> None:
        choice = self.rng.random()
        if choice < 0.5:
            self.browser.request("org dashboard GET", "/reports/organisation/")
        elif choice < 0.65:
            round_slug = self.rng.choice(self.plan.closed_round_slugs)
            self.browser.request("org dashboard GET", f"/reports/organisation/?round={round_slug}")
        elif choice < 0.8:
            group = urlencode({"group": self.rng.choice(self.plan.groups)})
            self.browser.request("org dashboard GET", f"/reports/organisation/?{group}")
        else:
            team = self.rng.choice(self.plan.all_team_slugs)
            self.browser.request("team dashboard GET", f"/reports/teams/{team}/")
        self.pause()

    def read_team_dashboard(self) -> None:
        team = self.own_team
        query = ""
        if self.rng.random() < 0.4:
            query = "?" + urlencode({"round": self.rng.choice(self.plan.closed_round_slugs)})
        self.browser.request("team dashboard GET", f"/reports/teams/{team}/{query}")
        self.pause()


# --- the database side ----------------------------------------------------------------


def cleanup(session_keys: Collection[str] = ()) -> None:
    """Delete the round (with its responses and scores), the bench users and their sessions."""
    from django.contrib.auth.models import User
    from django.contrib.sessions.models import Session

    from surveys.models import SurveyRound

    SurveyRound.objects.filter(name=ROUND_NAME).delete()
    Session.objects.filter(session_key__in=list(session_keys)).delete()
    User.objects.filter(username__startswith=PREFIX).delete()


def _form_pages(questions) -> list[list[FormField]]:
    from surveys.forms import field_name

    pages: dict[int, list[FormField]] = defaultdict(list)
    for question in questions:
        pages[question.category.order].append(
            FormField(
                name=field_name(question),
                kind=question.kind,
                choices=[choice.pk for choice in question.choices.all()],
                required=question.required,
                question_id=question.pk,
            )
        )
    return [pages[order] for order in sorted(pages)]


def _answer_rows(response_id: int, fields: list[FormField], values: dict[str, str]) -> list:
    """insert_answers() rows for form values: (response, question, choice, number, text)."""
    rows = []
    for form_field in fields:
        value = values.get(form_field.name)
        if value is None:
            continue
        if form_field.kind in ("scale", "choice"):
            rows.append((response_id, form_field.question_id, int(value), None, ""))
        elif form_field.kind == "percent":
            rows.append((response_id, form_field.question_id, None, int(value), ""))
        else:
            rows.append((response_id, form_field.question_id, None, None, value))
    return rows


def create_fixture(*, respondents: int, managers: int, members: int) -> Plan:
    """The open round, its earlier submits, the bench users and half-done drafts."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from assessment.models import Question, Questionnaire
    from demo.synthetic import (
        SYNTHETIC_PREFIX,
        fill_round,
        insert_answers,
        question_plans,
        random_profile,
    )
    from reports.services import round_scores_recompute
    from surveys.access import MANAGERS_GROUP, role_group
    from surveys.models import Membership, Response, SurveyRound, Team

    teams = list(
        Team.objects.filter(slug__startswith=SYNTHETIC_PREFIX)
        .annotate(round_count=Count("rounds"))
        .order_by("-round_count", "slug")[:LOAD_TEAMS]
    )
    if len(teams) < LOAD_TEAMS:
        raise SystemExit(
            f"Needs {LOAD_TEAMS} synthetic teams: run generate_synthetic --teams 200 "
            "--rounds 12 --respondents 8 on this database first."
        )
    questionnaire = Questionnaire.objects.published().order_by("slug", "-version").first()
    questions = list(
        Question.objects.filter(questionnaire=questionnaire)
        .select_related("category")
        .prefetch_related("choices")
        .order_by("category__order", "order")
    )
    pages = _form_pages(questions)
    now = timezone.now()
    rng = random.Random(2026)
    password = make_password(PASSWORD)  # hashed once: every bench user shares it
    respondent_names = [f"{PREFIX}respondent-{n:02d}" for n in range(respondents)]
    manager_names = [f"{PREFIX}manager-{n:02d}" for n in range(managers)]
    member_names = [f"{PREFIX}member-{n:02d}" for n in range(members)]
    # Each respondent can answer for a few teams, one after the other.
    respondent_teams = {
        name: [
            teams[(number * TEAMS_PER_RESPONDENT + offset) % len(teams)]
            for offset in range(TEAMS_PER_RESPONDENT)
        ]
        for number, name in enumerate(respondent_names)
    }
    member_team = {name: teams[number % len(teams)] for number, name in enumerate(member_names)}
    # Respondents resume their first team at a random page, so that the submits
    # are spread over the run instead of all arriving near its end.
    first_pages = {name: rng.randint(1, len(pages)) for name in respondent_names}

    with transaction.atomic():
        survey_round = SurveyRound.objects.create(
            name=ROUND_NAME,
            slug=PREFIX.rstrip("-"),
            questionnaire=questionnaire,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=7),
        )
        survey_round.teams.set(teams)
        plans = question_plans(questions)
        keys = sorted({plan.category_key for plan in plans})
        for team in teams:
            earlier = list(
                User.objects.filter(memberships__team=team)
                .exclude(username__startswith="bench-")
                .order_by("username")[:ALREADY_SUBMITTED]
            )
            profile = random_profile(rng, keys, [plan.key for plan in plans])
            fill_round(
                survey_round=survey_round,
                team=team,
                members=earlier,
                plans=plans,
                profile=replace(profile, participation=1.0),
                round_index=0,
                rng=rng,
                submitted_at=now - timedelta(hours=12),
            )
        users = {
            user.username: user
            for user in User.objects.bulk_create(
                User(username=name, password=password, email=f"{name}@example.com")
                for name in respondent_names + manager_names + member_names
            )
        }
        Membership.objects.bulk_create(
            [
                *(
                    Membership(user=users[name], team=team)
                    for name, its_teams in respondent_teams.items()
                    for team in its_teams
                ),
                *(Membership(user=users[name], team=team) for name, team in member_team.items()),
            ]
        )
        role_group(MANAGERS_GROUP).user_set.add(*(users[name] for name in manager_names))
        resuming = [name for name in respondent_names if first_pages[name] > 1]
        drafts = Response.objects.bulk_create(
            Response(
                round=survey_round,
                team=respondent_teams[name][0],
                respondent=users[name],
                started_at=now,
                updated_at=now,
                last_page=first_pages[name],
            )
            for name in resuming
        )
        stored, rows = {}, []
        for name, draft in zip(resuming, drafts, strict=True):
            done = [field for page in pages[: first_pages[name] - 1] for field in page]
            draft_rows = _answer_rows(draft.pk, done, _answers_for_page(rng, done))
            stored[name] = len(draft_rows)
            rows.extend(draft_rows)
        insert_answers(rows, updated_at=now)
    round_scores_recompute(survey_round=survey_round)

    closed = SurveyRound.objects.closed().order_by("opens_at").values_list("slug", flat=True)
    return Plan(
        round_slug=survey_round.slug,
        pages=pages,
        respondents=[
            (
                name,
                [
                    Slot(its_teams[0].slug, first_pages[name], stored.get(name, 0)),
                    *(Slot(team.slug) for team in its_teams[1:]),
                ],
            )
            for name, its_teams in respondent_teams.items()
        ],
        members=[(name, team.slug) for name, team in member_team.items()],
        managers=manager_names,
        all_team_slugs=list(
            Team.objects.filter(slug__startswith=SYNTHETIC_PREFIX).values_list("slug", flat=True)
        ),
        closed_round_slugs=list(closed)[-12:],
        groups=list(
            Team.objects.exclude(group="").values_list("group", flat=True).distinct().order_by()
        ),
    )


def verify(outcome: Outcome) -> dict:
    """Check every acknowledged submit in the database; recompute the round's scores."""
    from django.db.models import Count

    from reports.models import TeamRoundSummary
    from reports.services import round_scores_recompute
    from surveys.models import Response, SurveyRound

    survey_round = SurveyRound.objects.get(name=ROUND_NAME)
    stored = {
        (r["respondent__username"], r["team__slug"]): r
        for r in Response.objects.filter(
            round=survey_round, respondent__username__startswith=PREFIX
        )
        .values("respondent__username", "team__slug", "status")
        .annotate(answers=Count("answers"))
    }
    duplicates = (
        Response.objects.filter(round=survey_round)
        .values("team_id", "respondent_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    acknowledged = {(user, team): sent for user, team, sent in outcome.acknowledged}
    lost, not_submitted, wrong_answers = [], [], []
    for (user, team), sent in acknowledged.items():
        row = stored.get((user, team))
        if row is None:
            lost.append((user, team))
        elif row["status"] != Response.Status.SUBMITTED:
            not_submitted.append((user, team))
        elif row["answers"] != sent:
            wrong_answers.append((user, team, sent, row["answers"]))
    unacknowledged = [
        key
        for key, row in stored.items()
        if row["status"] == Response.Status.SUBMITTED and key not in acknowledged
    ]
    submitted_per_team = dict(
        Response.objects.submitted()
        .filter(round=survey_round)
        .values_list("team_id")
        .annotate(n=Count("id"))
    )
    summaries = dict(
        TeamRoundSummary.objects.filter(round=survey_round).values_list("team_id", "respondents")
    )
    report = round_scores_recompute(survey_round=survey_round)
    return {
        "acknowledged": len(outcome.acknowledged),
        "duplicate responses": duplicates,
        "lost": lost,
        "not submitted": not_submitted,
        "wrong answer count": wrong_answers,
        "submitted without a success response seen": unacknowledged,
        "drafts left by the deadline": sum(
            row["status"] == Response.Status.DRAFT for row in stored.values()
        ),
        "summary respondents differ from submitted responses": sorted(
            team_id for team_id, n in submitted_per_team.items() if summaries.get(team_id) != n
        ),
        "score rows that differ from a recomputation": report.total,
    }


# --- the server -----------------------------------------------------------------------


def descendants(root: int) -> list[int]:
    """Every live process below `root`, by the parent links in /proc (Linux)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[parent].append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Server:
    """`make serve` in a process group of its own, so stopping it stops every worker."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port, self.env, self.log_path = port, env, log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SystemExit(f"Port {self.port} is in use: pass --port.")
        log = open(self.log_path, "wb")  # noqa: SIM115 (the server writes to it until stop())
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"make serve exited early:\n{self.log_tail()}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/accounts/login/")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.5)
        raise RuntimeError(f"make serve did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 40) -> None:
        """SIGTERM to make's group and to the groups of everything it started; SIGKILL
        what is left after `timeout`.

        `make serve` starts gunicorn and the task worker with setsid, in groups of
        their own; signalling make's group alone relied on its shell's exit trap to
        pass the signal on, and a task worker now and then outlived the run.
        """
        if self.process is None:
            return
        pids = {self.process.pid, *descendants(self.process.pid)}
        groups = set()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                groups.add(os.getpgid(pid))

        def signal_all(number: int) -> bool:
            """Send the signal to every group still alive; False when none is."""
            alive = False
            for group in groups:
                try:
                    os.killpg(group, number)
                    alive = True
                except ProcessLookupError:
                    pass
            return alive

        signal_all(signal.SIGTERM)
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            self.process.poll()  # reap make, so its group empties
            if not signal_all(0):
                break
            time.sleep(0.2)
        else:
            signal_all(signal.SIGKILL)
        self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def worker_count(self) -> int:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text.count("Booting worker with pid")


# --- report ---------------------------------------------------------------------------


def print_report(outcome: Outcome, *, seconds: float, logins: list[Sample]) -> int:
    """Requests/s and percentiles per endpoint; returns the number of errors."""
    from common import percentile

    timed = outcome.samples  # requests in flight at the deadline included
    by_endpoint: dict[str, list[Sample]] = defaultdict(list)
    for sample in timed:
        by_endpoint[sample.endpoint].append(sample)
    errors = sum(not s.ok for s in timed)
    print(
        f"{len(timed)} requests in {seconds:.1f} s: {len(timed) / seconds:.1f} requests/s, "
        f"{errors} errors\n"
    )
    print("| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    groups = [(name, samples) for name, samples in sorted(by_endpoint.items())]
    groups.append(
        ("all dashboards", [s for s in timed if s.endpoint in DASHBOARD_ENDPOINTS]),
    )
    groups.append(("all requests", timed))
    groups.append(("(login, before the window)", logins))
    for name, samples in groups:
        if not samples:
            continue
        ms = sorted(s.ms for s in samples)
        print(
            f"| {name} | {len(samples)} | {sum(not s.ok for s in samples)} "
            f"| {percentile(ms, 0.5):.0f} | {percentile(ms, 0.95):.0f} "
            f"| {percentile(ms, 0.99):.0f} | {ms[-1]:.0f} |"
        )
    failures = [s for s in outcome.samples if not s.ok]
    for sample in failures[:10]:
        print(f"error: {sample.endpoint}: {sample.detail}")
    return errors


def log_in_everyone(plan: Plan, port: int, browsers: list, samples: list[Sample]) -> None:
    """Log every virtual user in, all at once; fills `browsers` with (user, Browser)."""
    everyone = (
        [("respondent", name, teams) for name, teams in plan.respondents]
        + [("manager", name, []) for name in plan.managers]
        + [("member", name, [team]) for name, team in plan.members]
    )

    def log_in(entry):
        browser = Browser(port, samples)
        browser.log_in(entry[1])
        browsers.append((entry, browser))

    threads = [threading.Thread(target=log_in, args=(entry,)) for entry in everyone]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if len(browsers) != len(everyone):
        raise RuntimeError(f"only {len(browsers)} of {len(everyone)} users could log in")


def run_users(plan: Plan, browsers: list, *, duration: float, think, outcome: Outcome) -> float:
    """The timed window: every virtual user until the deadline.

    Returns the CPU seconds this process (the load generator) used meanwhile:
    it shares the machine with the server.
    """
    cpu_before = time.process_time()
    deadline = time.monotonic() + duration
    users = []
    for number, ((kind, name, teams), browser) in enumerate(browsers):
        browser.samples = outcome.samples  # from now on, into the timed window
        users.append(
            VirtualUser(
                number=number,
                kind=kind,
                username=name,
                teams=teams,
                browser=browser,
                plan=plan,
                deadline=deadline,
                think=think,
                outcome=outcome,
            )
        )
    for user in users:
        user.start()
    for user in users:
        # A request in flight at the deadline may finish (client timeout 30 s).
        user.join(timeout=max(0.0, deadline - time.monotonic()) + 40)
    return time.process_time() - cpu_before


# Any of these above zero fails the run.
MUST_BE_ZERO = (
    "duplicate responses",
    "lost",
    "not submitted",
    "wrong answer count",
    "summary respondents differ from submitted responses",
    "score rows that differ from a recomputation",
)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="virtual users (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds (default 60)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8123)))
    parser.add_argument(
        "--think", default="1,3", help="think time between requests, min,max seconds"
    )
    parser.add_argument("--keep", action="store_true", help="keep the round and bench users")
    parser.add_argument(
        "--running",
        action="store_true",
        help="use a server already listening on --port (started some other way; not stopped)",
    )
    options = parser.parse_args()
    think = tuple(float(value) for value in options.think.split(","))
    if len(think) != 2 or not 0 <= think[0] <= think[1]:
        parser.error("--think takes min,max seconds, for example 1,3")
    if not 0 < options.duration <= 600:
        parser.error("--duration must be between 0 and 600 seconds")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL database (see docs/performance.md)")
    if not os.environ.get("REDIS_URL"):
        parser.error("set REDIS_URL: several gunicorn workers need one shared cache")

    from common import database_description, load_average, machine_description
    from django.core.cache import cache

    # The server inherits this environment: DATABASE_URL, REDIS_URL, and what
    # common.py set for benchmarks (debug off, plain HTTP, a throwaway secret key).
    server_env = {
        **os.environ,
        "PORT": str(options.port),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    respondents = round(options.users * 0.7)
    managers = round(options.users * 0.2)
    members = options.users - respondents - managers
    print(f"Load test, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {machine_description()}")
    print(f"- database: {database_description()}; cache: Redis ({os.environ['REDIS_URL']})")
    print(
        f"- {options.users} virtual users ({respondents} respondents, {managers} managers, "
        f"{members} team members) for {options.duration:.0f} s, think time "
        f"{think[0]:g}-{think[1]:g} s, against "
        f"{'a running server' if options.running else 'make serve'} on 127.0.0.1:{options.port}"
    )
    print(f"- load average before: {load_average()}", flush=True)

    log_path = Path(tempfile.gettempdir()) / f"shipshape-load-{options.port}.log"
    server = Server(options.port, server_env, log_path)
    outcome = Outcome()
    browsers: list[tuple[tuple, Browser]] = []
    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so the finally blocks run.
    signal.signal(signal.SIGTERM, _interrupt)
    cleanup()
    cache.clear()  # a cold cache, the same for every run: REDIS_URL must be the test's own
    try:
        plan = create_fixture(respondents=respondents, managers=managers, members=members)
        try:
            if options.running:
                print(f"- using the server already running on 127.0.0.1:{options.port}")
            else:
                server.start()
                print(f"- server up ({server.worker_count()} gunicorn workers), log: {log_path}")
            logins: list[Sample] = []
            log_in_everyone(plan, options.port, browsers, logins)
            client_cpu = run_users(
                plan, browsers, duration=options.duration, think=think, outcome=outcome
            )
        finally:
            server.stop()
        print(f"- load average right after the run: {load_average()}")
        print(
            f"- CPU used by the load generator itself: {client_cpu:.1f} s of the "
            f"{options.duration * (os.process_cpu_count() or 1):.0f} CPU-seconds of the window\n"
        )
        errors = print_report(outcome, seconds=options.duration, logins=logins)
        results = verify(outcome)
    finally:
        if options.keep:
            print(f"Kept the round {ROUND_NAME!r} and the {PREFIX}* users (--keep).")
        else:
            cleanup([b.cookies["sessionid"] for _, b in browsers if "sessionid" in b.cookies])

    print(
        f"\nAnswering journeys: {len(outcome.journeys)} started, "
        f"{len(outcome.acknowledged)} submitted with a success redirect, "
        f"{len(outcome.cut_short)} cut short by the end of the run."
    )
    print("Database check of the acknowledged submits:")
    for name, value in results.items():
        count = len(value) if isinstance(value, list) else value
        example = f" e.g. {value[:3]}" if isinstance(value, list) and value else ""
        print(f"- {name}: {count}{example}")
    failed = errors or any(results[name] for name in MUST_BE_ZERO)
    print(f"Load average at the end: {load_average()}")
    print("FAILED" if failed else "OK: no errors, no lost or duplicated submissions")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the server was stopped.", file=sys.stderr)
        sys.exit(130)
