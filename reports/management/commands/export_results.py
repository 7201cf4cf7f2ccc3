"""Export a round's results from the command line (a thin wrapper over the exporters)."""

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from assessment.audit import audit_record
from assessment.models import AuditEvent
from reports.exporters import EXPORTERS, ExportRequest, get_exporter
from surveys.models import SurveyRound


class Command(BaseCommand):
    help = (
        "Export a survey round's results as csv, answers-csv, xlsx, json, md (retro pack) or "
        "actions-csv. "
        "Runs with facilitator rights, because it is an admin tool: every team, reflections "
        "and anonymous answers included. The privacy threshold k still applies."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--round", required=True, metavar="NAME_OR_SLUG", help='e.g. "2026 Q4" or 2026-q4.'
        )
        parser.add_argument(
            "--team", metavar="SLUG", help="Only this team (default: every team in the round)."
        )
        parser.add_argument("--format", required=True, choices=sorted(EXPORTERS), dest="fmt")
        parser.add_argument(
            "-o",
            "--output",
            metavar="PATH",
            help="File or directory to write; - writes to stdout. Default: a descriptive "
            "file name (e.g. shipshape-2026-q4-team-payments-answers.csv) in the current "
            "directory.",
        )

    def handle(self, *args, **options):
        team, fmt, output = options["team"], options["fmt"], options["output"]
        wanted = options["round"].strip()
        survey_round = (
            SurveyRound.objects.select_related("questionnaire")
            .filter(Q(slug=wanted) | Q(name__iexact=wanted))
            .first()
        )
        if survey_round is None:
            known = ", ".join(
                SurveyRound.objects.order_by("opens_at").values_list("name", flat=True)
            )
            raise CommandError(
                f"No survey round has the name or slug {wanted!r}. Known rounds: {known or 'none'}."
            )
        teams = survey_round.teams.order_by("name")
        if team:
            teams = teams.filter(slug=team)
            if not teams:
                raise CommandError(f"No team with the slug {team!r} takes part in {survey_round}.")
        exporter = get_exporter(fmt)
        if exporter is None:  # argparse checks choices; call_command may not
            raise CommandError(f"Unknown format {fmt!r}; choose one of {', '.join(EXPORTERS)}.")
        export_request = ExportRequest.for_admin(survey_round, teams)
        reason = exporter.refusal(export_request)
        if reason:
            raise CommandError(reason)

        filename, _, content = exporter(export_request).render()
        chunks = [content] if isinstance(content, bytes) else content
        if output == "-":
            self._to_stdout(chunks, binary=exporter.extension == "xlsx")
        else:
            path = Path(output or filename)
            if path.is_dir():
                path = path / filename
            with path.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
            self.stderr.write(f"Wrote {path}")
        # Like a download from the pages (reports.export_views), but by nobody in
        # particular: whoever has a shell on the server.
        audit_record(
            actor=None,
            action=AuditEvent.Action.EXPORT_WRITTEN,
            target=survey_round.name,
            format=exporter.identifier,
            teams=sorted(team.slug for team in export_request.teams),
            output="-" if output == "-" else str(path),
        )

    def _to_stdout(self, chunks, *, binary: bool) -> None:
        stream = getattr(self.stdout, "_out", sys.stdout)
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            try:
                for chunk in chunks:
                    buffer.write(chunk)
                buffer.flush()
            except BrokenPipeError:
                # The reader stopped early (`| head`): not an error. Point stdout at
                # /dev/null so Python's final flush does not complain either.
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        elif binary:
            raise CommandError("XLSX is binary: write it to a file with -o PATH.")
        else:
            for chunk in chunks:
                stream.write(chunk.decode("utf-8"))
