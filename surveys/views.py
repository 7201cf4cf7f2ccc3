"""Answering: my surveys, the paged questionnaire, autosave, review and submit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from assessment.structure import questionnaire_pages
from surveys import selectors
from surveys.forms import CategoryAnswerForm
from surveys.models import Response, SurveyRound, Team
from surveys.services import (
    IncompleteResponseError,
    RoundNotOpenError,
    missing_required_questions,
    previous_submitted_response,
    response_save_draft,
    response_start,
    response_submit,
)


@login_required
def my_surveys(request):
    context = selectors.my_surveys(request.user)
    context["led"] = selectors.lead_participation(request.user)
    return render(request, "surveys/my_surveys.html", context)


def _survey_for(
    request, round_slug: str, team_slug: str
) -> tuple[SurveyRound, Team, Response | None]:
    """The round, the team and my response (None before I start), if I am a member
    of a team taking part; else 404."""
    found = selectors.member_survey(request.user, round_slug, team_slug)
    if found is None:
        raise Http404("No such survey for you.")
    return found


def _page_number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _not_open_message(survey_round: SurveyRound) -> str:
    return str(RoundNotOpenError(survey_round))


def _emptied_message(error: IncompleteResponseError) -> str:
    questions = "; ".join(f"“{q.text}”" for q in error.missing[:3])
    more = f" and {len(error.missing) - 3} more" if len(error.missing) > 3 else ""
    return (
        "Nothing on this page was saved: you have submitted, so required questions "
        f"cannot be left empty ({questions}{more}). Choose an answer, or “Don't know”."
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_start(request, round_slug, team_slug):
    survey_round, team, response = _survey_for(request, round_slug, team_slug)
    if response is not None:
        return redirect("surveys:page", round_slug, team_slug, max(response.last_page, 1))
    if request.method == "POST":
        try:
            response = response_start(
                survey_round=survey_round,
                team=team,
                user=request.user,
                prefill_from_previous=request.POST.get("prefill") == "1",
            )
        except RoundNotOpenError as exc:
            messages.error(request, str(exc))
            return redirect("surveys:start", round_slug, team_slug)
        return redirect("surveys:page", round_slug, team_slug, 1)
    return render(request, "surveys/start.html", _start_context(request, survey_round, team))


def _start_context(request, survey_round: SurveyRound, team: Team) -> dict:
    pages = questionnaire_pages(survey_round.questionnaire)
    return {
        "survey_round": survey_round,
        "team": team,
        "is_open": survey_round.is_open(),
        "not_open_message": _not_open_message(survey_round),
        "pages": pages,
        "question_count": sum(len(c.questions.all()) for c in pages),
        "previous": previous_submitted_response(
            survey_round=survey_round, team=team, user=request.user
        ),
    }


def _page_context(request, survey_round, team, response, pages, page, form, **extra):
    return {
        "survey_round": survey_round,
        "team": team,
        "response": response,
        "category": pages[page - 1],
        "page": page,
        "page_count": len(pages),
        "pages": pages,
        "progress": round(100 * page / len(pages)),
        "form": form,
        "is_open": survey_round.is_open(),
        "not_open_message": _not_open_message(survey_round),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def survey_page(request, round_slug, team_slug, page):
    survey_round, team, response = _survey_for(request, round_slug, team_slug)
    if response is None:
        return redirect("surveys:start", round_slug, team_slug)
    pages = questionnaire_pages(survey_round.questionnaire)
    if not 1 <= page <= len(pages):
        raise Http404("No such page in this questionnaire.")
    questions = list(pages[page - 1].questions.all())
    answers = selectors.page_answers(response, pages[page - 1])

    if request.method == "POST":
        return _save_page(request, survey_round, team, response, pages, page, answers)
    form = CategoryAnswerForm(questions=questions, answers=answers)
    context = _page_context(request, survey_round, team, response, pages, page, form)
    return render(request, "surveys/page.html", context)


def _save_page(request, survey_round, team, response, pages, page, answers):
    """Save this page's answers, then go where the button says; nothing saved on errors."""
    questions = list(pages[page - 1].questions.all())
    form = CategoryAnswerForm(request.POST, questions=questions, answers=answers)
    status, message = (
        400,
        "Nothing on this page was saved: please correct the answers marked below.",
    )
    if not survey_round.is_open():
        form = CategoryAnswerForm(questions=questions, answers=answers)
        status, message = 409, f"Nothing was saved. {_not_open_message(survey_round)}"
    elif form.is_valid():
        action = request.POST.get("action", "next")
        target = {"prev": page - 1, "next": page + 1, "save": page}.get(action, page + 1)
        try:
            response_save_draft(
                response=response,
                answers=form.answer_values(),
                page=max(1, min(target, len(pages))),
            )
        except RoundNotOpenError as exc:
            messages.error(request, f"Nothing was saved. {exc}")
            return redirect("surveys:page", survey_round.slug, team.slug, page)
        except IncompleteResponseError as exc:
            message = _emptied_message(exc)
        else:
            if action == "save":
                messages.success(request, "Your answers are saved as a draft.")
            if action == "review" or target > len(pages):
                return redirect("surveys:review", survey_round.slug, team.slug)
            return redirect("surveys:page", survey_round.slug, team.slug, max(target, 1))
    messages.error(request, message)
    context = _page_context(request, survey_round, team, response, pages, page, form)
    return render(request, "surveys/page.html", context, status=status)


@login_required
@require_POST
def survey_autosave(request, round_slug, team_slug):
    """Background save of one page's answers (JavaScript); the page works without it."""
    survey_round, _team, response = _survey_for(request, round_slug, team_slug)
    if response is None:
        return JsonResponse({"error": "Start the survey first."}, status=404)
    pages = questionnaire_pages(survey_round.questionnaire)
    page = _page_number(request.POST.get("page", ""))
    if not 1 <= page <= len(pages):
        return JsonResponse({"error": "Unknown page."}, status=400)
    if not survey_round.is_open():
        return JsonResponse({"error": f"Not saved. {_not_open_message(survey_round)}"}, status=409)
    form = CategoryAnswerForm(request.POST, questions=list(pages[page - 1].questions.all()))
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse(
            {"error": "Not saved: some answers need correcting.", "fields": errors}, status=400
        )
    try:
        response = response_save_draft(response=response, answers=form.answer_values(), page=page)
    except RoundNotOpenError as exc:
        return JsonResponse({"error": f"Not saved. {exc}"}, status=409)
    except IncompleteResponseError as exc:
        return JsonResponse({"error": _emptied_message(exc)}, status=400)
    saved_at = timezone.localtime(response.updated_at)
    return JsonResponse(
        {"saved_at": saved_at.isoformat(), "message": f"Saved at {date_format(saved_at, 'H:i')}"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_review(request, round_slug, team_slug):
    survey_round, team, response = _survey_for(request, round_slug, team_slug)
    if response is None:
        return redirect("surveys:start", round_slug, team_slug)
    status = 200
    if request.method == "POST":
        if not survey_round.is_open():
            messages.error(request, f"Not submitted. {_not_open_message(survey_round)}")
            status = 409
        else:
            try:
                response_submit(response=response)
            except IncompleteResponseError:
                messages.error(request, "Please answer the required questions listed below.")
                status = 400
            except RoundNotOpenError as exc:
                messages.error(request, f"Not submitted. {exc}")
                status = 409
            else:
                return redirect("surveys:done", round_slug, team_slug)
    context = _review_context(survey_round, team, response)
    return render(request, "surveys/review.html", context, status=status)


def _review_context(survey_round: SurveyRound, team: Team, response: Response) -> dict:
    """What is still missing, page by page: the rule is missing_required_questions'."""
    pages = questionnaire_pages(survey_round.questionnaire)
    missing = missing_required_questions(response)
    page_of = {category.pk: index for index, category in enumerate(pages, start=1)}
    by_page = {}
    for question in missing:
        by_page.setdefault(page_of[question.category_id], []).append(question)
    question_count = sum(len(c.questions.all()) for c in pages)
    return {
        "survey_round": survey_round,
        "team": team,
        "response": response,
        "missing": [(index, pages[index - 1], qs) for index, qs in sorted(by_page.items())],
        "missing_count": len(missing),
        "answered_count": len(selectors.answered_question_ids(response)),
        "question_count": question_count,
        "is_open": survey_round.is_open(),
        "not_open_message": _not_open_message(survey_round),
        "page_count": len(pages),
    }


@login_required
def survey_done(request, round_slug, team_slug):
    survey_round, team, response = _survey_for(request, round_slug, team_slug)
    if response is None or not response.is_submitted:
        return redirect("surveys:start", round_slug, team_slug)
    return render(
        request,
        "surveys/done.html",
        {
            "survey_round": survey_round,
            "team": team,
            "response": response,
            "is_open": survey_round.is_open(),
            "first_page_url": reverse("surveys:page", args=[round_slug, team_slug, 1]),
        },
    )
