from django.core.management.base import BaseCommand, CommandError

from records import synthetic


class Command(BaseCommand):
    help = (
        "Add synthetic patients with identifiers, encounters and documents (never real data). "
        "Fast bulk inserts; running again adds more."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, help="how many patients")
        parser.add_argument("--seed", type=int, default=1, help="random seed (deterministic)")
        parser.add_argument(
            "--facilities", type=int, default=2, help="synthetic facilities SYN01.. to spread over"
        )
        parser.add_argument(
            "--encounters-per-patient", type=float, default=3.0, help="average (default 3)"
        )
        parser.add_argument("--no-documents", action="store_true", help="skip documents")
        parser.add_argument(
            "--ssn-fraction",
            type=float,
            default=0.25,
            help="share of patients given an (encrypted, 9xx) SSN; encryption is per row",
        )

    def handle(self, *args, **options):
        if options["patients"] < 0 or not 1 <= options["facilities"] <= 100:
            raise CommandError("--patients must be >= 0 and --facilities between 1 and 100.")
        if (
            not 0 <= options["ssn_fraction"] <= 1
            or not 0 <= options["encounters_per_patient"] <= 20
        ):
            raise CommandError("--ssn-fraction is 0..1; --encounters-per-patient is 0..20.")
        verbose = options["verbosity"] > 0
        result = synthetic.seed(
            patients=options["patients"],
            seed=options["seed"],
            facilities=options["facilities"],
            encounters_per_patient=options["encounters_per_patient"],
            documents=not options["no_documents"],
            ssn_fraction=options["ssn_fraction"],
            progress=self.stdout.write if verbose else None,
        )
        if verbose:
            self.stdout.write(self.style.SUCCESS(f"Seeded {result.summary()}."))
