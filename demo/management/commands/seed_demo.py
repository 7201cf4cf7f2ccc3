from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create a demo organisation with teams, users and eight quarters of answers. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG off (it creates users with a known password).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with the password 'demo'. It refuses to run with "
                "DJANGO_DEBUG off; pass --force if this really is a demo installation."
            )
        try:
            summary = seed_demo()
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(summary)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}' for all):")
        for username, description in DEMO_LOGINS:
            self.stdout.write(f"  {username:<12} {description}")
