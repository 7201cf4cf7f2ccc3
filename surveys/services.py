"""Writes for teams, rounds and responses. Each public function is one transaction."""

import copy
import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from assessment.audit import audit_record
from assessment.kinds import KINDS, AnswerValue
from assessment.models import AuditEvent, Choice, Question, Questionnaire
from surveys.models import Answer, Membership, Response, RoundClose, RoundMember, SurveyRound, Team
from surveys.signals import round_closed, round_created, round_extended, submitted_answers_changed
from surveys.tasks import send_set_password_email


class RoundNotOpenError(Exception):
    """Answers can only change while the round is open."""

    def __init__(self, survey_round: SurveyRound, now: datetime | None = None) -> None:
        self.survey_round = survey_round
        status = survey_round.status(now)
        if status == SurveyRound.Status.UPCOMING:
            opens = timezone.localtime(survey_round.opens_at)
            message = (
                f"{survey_round.name} opens on {opens:%-d %B %Y}; "
                "answers cannot be saved before then."
            )
        else:
            message = f"{survey_round.name} is closed, so answers can no longer be changed."
        super().__init__(message)


class IncompleteResponseError(Exception):
    """Submit was refused because required questions are unanswered."""

    def __init__(self, missing: list[Question]) -> None:
        self.missing = missing
        super().__init__(f"{len(missing)} required question(s) are unanswered.")


# --- responses ------------------------------------------------------------------


def _check_open(survey_round: SurveyRound, now: datetime) -> None:
    if not survey_round.is_open(now):
        raise RoundNotOpenError(survey_round, now)


def response_start(
    *, survey_round: SurveyRound, team: Team, user: User, prefill_from_previous: bool = False
) -> Response:
    """Get the person's response for this team and round, creating a draft once.

    Safe under concurrency: the unique constraint decides, and a loser of the
    race simply reads the winner's row.
    """
    now = timezone.now()
    existing = Response.objects.filter(round=survey_round, team=team, respondent=user).first()
    if existing is not None:
        return existing
    _check_open(survey_round, now)
    try:
        with transaction.atomic():
            response = Response.objects.create(
                round=survey_round, team=team, respondent=user, started_at=now, updated_at=now
            )
            if prefill_from_previous:
                _prefill_from_previous(response)
    except IntegrityError:
        return Response.objects.get(round=survey_round, team=team, respondent=user)
    return response


def previous_submitted_response(*, survey_round: SurveyRound, team: Team, user: User):
    """The person's most recent submitted response for this team before this round."""
    return (
        Response.objects.submitted()
        .filter(team=team, respondent=user, round__opens_at__lt=survey_round.opens_at)
        .select_related("round")
        .order_by("-round__opens_at")
        .first()
    )


def _prefill_from_previous(response: Response) -> None:
    previous = previous_submitted_response(
        survey_round=response.round, team=response.team, user=response.respondent
    )
    if previous is None:
        return
    questions = {
        q.key: q
        for q in Question.objects.filter(questionnaire_id=response.round.questionnaire_id)
        .exclude(kind__in=[key for key, kind in KINDS.items() if kind.prefill is None])
        .prefetch_related("choices")
    }
    copied: dict[Question, AnswerValue] = {}
    for old in previous.answers.select_related("question", "choice").prefetch_related("ticked"):
        question = questions.get(old.question.key)
        if question is None or question.kind != old.question.kind:
            continue
        # Each kind says how its answer carries over (assessment.kinds).
        value = KINDS[question.kind].prefill(old, question)
        if value is not None and not value.is_empty:
            copied[question] = value
    # The same write as an answer given on the page (ticks included).
    _write_answers(response, copied, timezone.now())
    response.prefilled_from_previous = bool(copied)
    response.save(update_fields=["prefilled_from_previous"])


def _write_answers(
    response: Response, answers: Mapping[Question, AnswerValue], now: datetime
) -> None:
    to_upsert = []
    to_clear = []
    ticks: dict[int, tuple[Choice, ...]] = {}
    for question, value in answers.items():
        if question.questionnaire_id != response.round.questionnaire_id:
            raise ValueError(f"question {question.key} is not part of this questionnaire")
        if value.is_empty:
            to_clear.append(question.pk)
            continue
        if KINDS[question.kind].multiple:
            ticks[question.pk] = _checked_ticks(question, value)
        to_upsert.append(
            Answer(
                response=response,
                question=question,
                choice=value.choice,
                number=value.number,
                text=value.text.strip(),
                updated_at=now,
            )
        )
    if to_clear:
        response.answers.filter(question_id__in=to_clear).delete()
    if to_upsert:
        # One statement whatever the number of answers; the unique constraint
        # (response, question) makes a resent request update, never duplicate.
        Answer.objects.bulk_create(
            to_upsert,
            update_conflicts=True,
            unique_fields=["response", "question"],
            update_fields=["choice", "number", "text", "updated_at"],
        )
    if ticks:
        _write_ticks(response, ticks)


def _checked_ticks(question: Question, value: AnswerValue) -> tuple[Choice, ...]:
    """The ticked choices of a multiple-choice answer, checked against its question."""
    for choice in value.ticked:
        if choice.question_id != question.pk or choice.is_abstain:
            raise ValueError(f"{choice.label!r} is not a practice of question {question.key}")
    if value.ticked and value.number != len(value.ticked):
        raise ValueError(f"the count of ticks for question {question.key} does not match")
    return value.ticked


def _write_ticks(response: Response, ticks: Mapping[int, tuple[Choice, ...]]) -> None:
    # Replace the ticks of these answers; only runs when a checklist is answered.
    answer_ids = dict(
        response.answers.filter(question_id__in=list(ticks)).values_list("question_id", "pk")
    )
    Ticked = Answer.ticked.through
    Ticked.objects.filter(answer_id__in=answer_ids.values()).delete()
    Ticked.objects.bulk_create(
        Ticked(answer_id=answer_ids[question_id], choice_id=choice.pk)
        for question_id, choices in ticks.items()
        for choice in choices
    )


def _after_answers_changed(response: Response) -> None:
    if response.status == Response.Status.SUBMITTED:
        # reports listens and refreshes the team's scores, in this transaction.
        submitted_answers_changed.send(
            sender=Response, survey_round=response.round, team_id=response.team_id
        )


@transaction.atomic
def response_save_draft(
    *,
    response: Response,
    answers: Mapping[Question, AnswerValue],
    page: int | None = None,
) -> Response:
    """Save some answers (one page, or an autosave) and remember the page.

    On a submitted response the change is live at once: scores are refreshed
    in the same transaction.
    """
    now = timezone.now()
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("round__questionnaire")
        .get(pk=response.pk)
    )
    _check_open(response.round, now)
    _write_answers(response, answers, now)
    response.updated_at = now
    update_fields = ["updated_at"]
    if page is not None and page != response.last_page:
        response.last_page = page
        update_fields.append("last_page")
    response.save(update_fields=update_fields)
    if response.status == Response.Status.SUBMITTED:
        # A submitted response stays complete: clearing a required answer after
        # submitting is refused, and the transaction leaves nothing changed.
        missing = missing_required_questions(response)
        if missing:
            raise IncompleteResponseError(missing)
    _after_answers_changed(response)
    return response


def missing_required_questions(response: Response) -> list[Question]:
    """The required questions the response has no answer to, in questionnaire order."""
    return list(
        Question.objects.filter(questionnaire_id=response.round.questionnaire_id, required=True)
        .exclude(pk__in=Answer.objects.filter(response=response).values("question_id"))
        .select_related("category")
        .order_by("category__order", "order", "id")
    )


@transaction.atomic
def response_submit(
    *, response: Response, answers: Mapping[Question, AnswerValue] | None = None
) -> Response:
    """Submit a response. Submitting again (double click, resent POST) is harmless.

    The round is checked as loaded with ``response`` (the view loads both in
    the same request). Returns the submitted response; ``response`` itself is
    left as it was, also when the submit is refused.
    """
    now = timezone.now()
    _check_open(response.round, now)
    submitted = copy.copy(response)
    submitted.status = Response.Status.SUBMITTED
    # The first submit's time stays; RETURNING brings the stored value back.
    submitted.submitted_at = Coalesce(F("submitted_at"), Value(now))
    submitted.updated_at = now
    # The UPDATE comes first because it also locks the row until commit: a
    # concurrent save of this response waits, and everything read below sees
    # its answers. An incomplete response raises, which rolls the UPDATE back.
    submitted.save(update_fields=["status", "submitted_at", "updated_at"])
    if answers:
        _write_answers(submitted, answers, now)
    missing = missing_required_questions(submitted)
    if missing:
        raise IncompleteResponseError(missing)
    _after_answers_changed(submitted)
    return submitted


# --- rounds ---------------------------------------------------------------------


def _unique_slug(model, base: str, *, exclude_pk=None) -> str:
    base = slugify(base)[:50] or "item"
    slug, number = base, 2
    existing = model.objects.exclude(pk=exclude_pk)
    while slug in {"new", "import", "manage"} or existing.filter(slug=slug).exists():
        slug = f"{base}-{number}"
        number += 1
    return slug


@transaction.atomic
def round_create(
    *,
    name: str,
    questionnaire: Questionnaire,
    opens_at: datetime,
    closes_at: datetime,
    teams: Iterable[Team],
    min_respondents: int = 3,
    created_by: User | None = None,
) -> SurveyRound:
    if not questionnaire.is_published:
        raise ValidationError({"questionnaire": "Only a published questionnaire can be used."})
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": "The round must close after it opens."})
    teams = list(teams)
    if not teams:
        raise ValidationError({"teams": "Choose at least one team."})
    survey_round = SurveyRound(
        name=name.strip(),
        slug=_unique_slug(SurveyRound, name),
        questionnaire=questionnaire,
        opens_at=opens_at,
        closes_at=closes_at,
        min_respondents=min_respondents,
        created_by=created_by,
    )
    survey_round.full_clean()
    survey_round.save()
    survey_round.teams.set(teams)
    audit_record(
        actor=created_by,
        action=AuditEvent.Action.ROUND_CREATED,
        target=survey_round.name,
        questionnaire=f"{questionnaire.slug} v{questionnaire.version}",
        opens_at=opens_at.isoformat(),
        closes_at=closes_at.isoformat(),
        teams=sorted(t.slug for t in teams),
        min_respondents=min_respondents,
    )
    # notifications listens and schedules what is due, in this transaction.
    round_created.send(sender=SurveyRound, survey_round=survey_round)
    return survey_round


@transaction.atomic
def round_extend(
    *, survey_round: SurveyRound, closes_at: datetime, actor: User | None = None
) -> SurveyRound:
    now = timezone.now()
    if survey_round.is_closed(now):
        # Reopening would let answers change after results were released, and
        # comparing the results before and after would show what changed.
        raise ValidationError(
            "This round has closed and its results are released, so it cannot be reopened. "
            "Create a new round instead."
        )
    if closes_at <= now:
        raise ValidationError({"closes_at": "The new closing time must be in the future."})
    if closes_at <= survey_round.opens_at:
        raise ValidationError({"closes_at": "The round must close after it opens."})
    previous = survey_round.closes_at
    survey_round.closes_at = closes_at
    survey_round.save(update_fields=["closes_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ROUND_EXTENDED,
        target=survey_round.name,
        previous_closes_at=previous.isoformat(),
        closes_at=closes_at.isoformat(),
    )
    round_extended.send(sender=SurveyRound, survey_round=survey_round, previous_closes_at=previous)
    return survey_round


@transaction.atomic
def round_close(*, survey_round: SurveyRound, actor: User | None = None) -> SurveyRound:
    """Close a round now. Drafts stay drafts: only submitted answers are counted."""
    now = timezone.now()
    if survey_round.status(now) == SurveyRound.Status.CLOSED:
        return survey_round
    if now <= survey_round.opens_at:
        raise ValidationError(
            "A round that has not opened yet cannot be closed; delete it instead."
        )
    survey_round.closes_at = now
    survey_round.save(update_fields=["closes_at"])
    round_members_record(survey_round=survey_round, now=now)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ROUND_CLOSED,
        target=survey_round.name,
        closed_at=now.isoformat(),
    )
    round_closed.send(sender=SurveyRound, survey_round=survey_round)
    return survey_round


def round_members_record(*, survey_round: SurveyRound, now: datetime | None = None) -> bool:
    """Record who belonged to each team of a closed round at its close; once per round.

    Called when a facilitator closes a round, and by the privacy policy the first
    time anyone looks at a round that closed on its own. Only memberships that
    existed at the closing time count, so joining later opens nothing. True when
    this call recorded them.
    """
    if not survey_round.is_closed(now):
        return False
    if RoundClose.objects.filter(round=survey_round).exists():
        return False
    with transaction.atomic():
        _, created = RoundClose.objects.get_or_create(round=survey_round)
        if not created:  # someone else recorded them in the meantime
            return False
        RoundMember.objects.bulk_create(
            [
                RoundMember(round=survey_round, team_id=team_id, user_id=user_id, role=role)
                for team_id, user_id, role in Membership.objects.filter(
                    team__rounds=survey_round, created_at__lte=survey_round.closes_at
                ).values_list("team_id", "user_id", "role")
            ],
            ignore_conflicts=True,
        )
    return True


# --- teams and members -------------------------------------------------------------


@transaction.atomic
def team_create(*, name: str, group: str = "", actor: User | None = None) -> Team:
    team = Team(name=name.strip(), group=group.strip(), slug=_unique_slug(Team, name))
    team.full_clean()
    team.save()
    audit_record(actor=actor, action=AuditEvent.Action.TEAM_CREATED, target=team.name)
    return team


@transaction.atomic
def membership_set(*, team: Team, user: User, role: str, actor: User | None = None) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Role must be one of {', '.join(Membership.Role.values)}."})
    membership, _ = Membership.objects.update_or_create(
        team=team, user=user, defaults={"role": role}
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.MEMBERSHIP_CHANGED,
        target=team.name,
        user=user.get_username(),
        role=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, team: Team, user: User, actor: User | None = None) -> None:
    deleted, _ = Membership.objects.filter(team=team, user=user).delete()
    if deleted:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.MEMBERSHIP_REMOVED,
            target=team.name,
            user=user.get_username(),
        )


CSV_COLUMNS = ("email", "name", "team", "role")
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 5000


class MemberImportError(Exception):
    """The CSV was refused; `errors` lists problems by line. Nothing was imported."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ImportResult:
    users_created: int = 0
    teams_created: int = 0
    memberships_created: int = 0
    memberships_updated: int = 0
    invited: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _MemberRow:
    line: int
    email: str
    name: str
    team: str
    role: str


def _parse_members_csv(content: bytes) -> list[_MemberRow]:
    if len(content) > CSV_MAX_BYTES:
        raise MemberImportError([f"The file is larger than {CSV_MAX_BYTES // 1000} kB."])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MemberImportError(["The file is not UTF-8 text. Save it as CSV UTF-8."]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if sorted(header) != sorted(CSV_COLUMNS):
        raise MemberImportError(
            [
                f"line 1: the header must name the columns {', '.join(CSV_COLUMNS)}; "
                f"found {', '.join(header) or 'nothing'}."
            ]
        )
    reader.fieldnames = header
    rows, errors, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        if len(rows) >= CSV_MAX_ROWS:
            errors.append(f"The file has more than {CSV_MAX_ROWS} rows; split it.")
            break
        if None in row or any(value is None for value in row.values()):
            errors.append(f"line {line}: expected {len(CSV_COLUMNS)} columns.")
            continue
        if any("\x00" in value for value in row.values()):
            # PostgreSQL refuses NUL in text: without this the import is a 500.
            errors.append(f"line {line}: contains a null character; save the file as plain CSV.")
            continue
        email = row["email"].strip().lower()
        name = " ".join(row["name"].split())
        team = " ".join(row["team"].split())
        role = row["role"].strip().lower() or Membership.Role.MEMBER
        if not any((email, name, team)):
            continue  # blank line
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"line {line}: {email or '(empty)'!r} is not a valid email address.")
        if not name:
            errors.append(f"line {line}: name is empty.")
        elif len(name) > 150:
            errors.append(f"line {line}: name is longer than 150 characters.")
        if not team:
            errors.append(f"line {line}: team is empty.")
        elif len(team) > 120 or not slugify(team):
            errors.append(f"line {line}: {team!r} is not a usable team name.")
        if role not in Membership.Role.values:
            errors.append(f"line {line}: role must be 'member' or 'lead', not {role!r}.")
        key = (email, team.lower())
        if key in seen:
            errors.append(f"line {line}: {email} is listed for {team} already on line {seen[key]}.")
        seen.setdefault(key, line)
        rows.append(_MemberRow(line, email, name, team, role))
    if errors:
        raise MemberImportError(errors)
    if not rows:
        raise MemberImportError(["The file has a header but no members."])
    return rows


def username_for(email: str) -> str:
    """A free username for a new account made from an e-mail address (import, single sign-on)."""
    base = slugify(email.split("@")[0])[:140] or "user"
    username, number = base, 2
    while User.objects.filter(username=username).exists():
        username = f"{base}-{number}"
        number += 1
    return username


def _enqueue_set_password_emails(users: list[User], base_url: str) -> None:
    # Inside the import's transaction: with the database task backend the task
    # rows commit with the accounts, or not at all. The worker sends them; one
    # failing address does not stop the others.
    for user in users:
        send_set_password_email.enqueue(user.pk, base_url)


def members_import_csv(*, content: bytes, base_url: str, actor: User | None = None) -> ImportResult:
    """Import members from CSV (email, name, team, role): all rows or none.

    New people get an account without a password and an email with a
    set-password link; teams that do not exist yet are created.
    """
    rows = _parse_members_csv(content)
    result = ImportResult()
    new_users: list[User] = []
    with transaction.atomic():
        teams: dict[str, Team] = {}
        for row in rows:
            key = row.team.lower()
            if key not in teams:
                team = Team.objects.filter(
                    Q(name__iexact=row.team) | Q(slug=slugify(row.team))
                ).first()
                if team is None:
                    team = team_create(name=row.team, actor=actor)
                    result.teams_created += 1
                teams[key] = team
            user = User.objects.filter(email__iexact=row.email).order_by("pk").first()
            if user is None:
                first, _, last = row.name.partition(" ")
                user = User(
                    username=username_for(row.email),
                    email=row.email,
                    first_name=first[:150],
                    last_name=last[:150],
                )
                user.set_unusable_password()
                user.save()
                new_users.append(user)
                result.users_created += 1
            membership, created = Membership.objects.get_or_create(
                user=user, team=teams[key], defaults={"role": row.role}
            )
            if created:
                result.memberships_created += 1
            elif membership.role != row.role:
                membership.role = row.role
                membership.save(update_fields=["role"])
                result.memberships_updated += 1
        result.invited = [user.email for user in new_users]
        audit_record(
            actor=actor,
            action=AuditEvent.Action.MEMBERS_IMPORTED,
            target=", ".join(sorted(team.name for team in teams.values()))[:200],
            rows=len(rows),
            users_created=result.users_created,
            teams_created=result.teams_created,
            memberships_created=result.memberships_created,
            memberships_updated=result.memberships_updated,
        )
        _enqueue_set_password_emails(new_users, base_url)
    return result
