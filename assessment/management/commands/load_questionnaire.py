from django.core.management.base import BaseCommand, CommandError

from assessment.audit import audit_record
from assessment.loader import QuestionnaireFileError, read_questionnaire_file
from assessment.models import AuditEvent
from assessment.services import QuestionnaireLockedError, questionnaire_load


class Command(BaseCommand):
    help = "Load a questionnaire file (YAML, see docs/questionnaire-format.md). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", help="e.g. fixtures/questionnaires/devops-maturity-v1.yaml")

    def handle(self, *args, path: str, **options):
        try:
            spec = read_questionnaire_file(path)
            result = questionnaire_load(spec=spec)
        except (QuestionnaireFileError, QuestionnaireLockedError) as exc:
            raise CommandError(f"Nothing was loaded.\n{exc}") from None
        q = result.questionnaire
        if result.action != "unchanged":
            audit_record(
                actor=None,
                action=AuditEvent.Action.QUESTIONNAIRE_LOADED,
                target=f"{q.slug} v{q.version}",
                result=result.action,
                path=str(path),
            )
        self.stdout.write(
            f"{q.slug} v{q.version} {result.action}: "
            f"{len(spec.categories)} categories, {spec.question_count} questions."
        )
