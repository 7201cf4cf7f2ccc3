"""Facilitator pages for questionnaire versions: list, upload a draft, preview and diff, publish.

Everyone but a facilitator gets 404, as on the other facilitator pages. A
published version never changes; a new version is uploaded beside it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assessment.loader import QuestionnaireFileError
from assessment.models import Questionnaire
from assessment.services import (
    QuestionnaireLockedError,
    questionnaire_publish,
    questionnaire_upload,
)
from assessment.structure import questionnaire_pages
from assessment.versions import previous_version, questionnaire_diff
from surveys import selectors
from surveys.forms import CategoryAnswerForm
from surveys.manage_forms import QuestionnaireUploadForm
from surveys.manage_views import require_facilitator


@login_required
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    require_facilitator(request)
    return render(
        request,
        "surveys/manage/questionnaire_list.html",
        {"versions": selectors.questionnaire_versions()},
    )


@login_required
def questionnaire_upload_view(request: HttpRequest) -> HttpResponse:
    require_facilitator(request)
    form = QuestionnaireUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = questionnaire_upload(
                content=upload.read(), filename=upload.name, actor=request.user
            )
        except QuestionnaireFileError as error:
            problems = error.errors
        except QuestionnaireLockedError as error:
            problems = [str(error)]
        else:
            q = result.questionnaire
            messages.success(request, f"Saved {q.title} version {q.version} as a draft.")
            return redirect("surveys:questionnaire_detail", slug=q.slug, version=q.version)
    return render(
        request, "surveys/manage/questionnaire_upload.html", {"form": form, "problems": problems}
    )


@login_required
def questionnaire_detail(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    require_facilitator(request)
    questionnaire = get_object_or_404(Questionnaire, slug=slug, version=version)
    previous = previous_version(questionnaire)
    pages = questionnaire_pages(questionnaire)
    # One section at a time, as members page through them; a bad number shows the first.
    section = request.GET.get("section", "1")
    number = int(section) if section.isdigit() and 1 <= int(section) <= len(pages) else 1
    category = pages[number - 1] if pages else None
    return render(
        request,
        "surveys/manage/questionnaire_detail.html",
        {
            "questionnaire": questionnaire,
            "previous": previous,
            "changes": questionnaire_diff(previous, questionnaire),
            "rounds": selectors.rounds_using(questionnaire),
            # The answering page's own form and question template: what members will see.
            "pages": pages,
            "section": number,
            "category": category,
            "form": category and CategoryAnswerForm(questions=list(category.questions.all())),
        },
    )


@login_required
@require_POST
def questionnaire_publish_view(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    require_facilitator(request)
    questionnaire = get_object_or_404(Questionnaire, slug=slug, version=version)
    questionnaire_publish(questionnaire=questionnaire, actor=request.user)
    messages.success(
        request,
        f"Published {questionnaire.title} version {questionnaire.version}: "
        "new rounds can use it now.",
    )
    return redirect("surveys:questionnaire_detail", slug=slug, version=version)
