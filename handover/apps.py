from django.apps import AppConfig


class HandoverConfig(AppConfig):
    name = "handover"

    def ready(self):
        from hypercare import overview
        from hypercare.signals import member_removing, programme_created
        from releases.signals import status_figures_collect

        programme_created.connect(_programme_defaults, dispatch_uid="handover-programme-defaults")
        member_removing.connect(_keep_standing_signatories, dispatch_uid="handover-keep-signatories")
        overview.provide_panel("exit-outcome", _exit_outcome_panel)
        status_figures_collect.connect(_status_figures, dispatch_uid="handover-status-exit-gate")


def _programme_defaults(sender, programme, by=None, **kwargs):
    from handover.services import programme_defaults_create

    programme_defaults_create(programme=programme, by=by)


def _exit_outcome_panel(access) -> str:
    """The programme page's account of a closed programme's exit: clean, or the exceptions accepted."""
    programme = access.programme
    if not programme.is_closed:
        return ""
    from django.template.loader import render_to_string

    from handover.selectors import exit_outcome

    return render_to_string(
        "handover/_exit_outcome.html", {"programme": programme, "outcome": exit_outcome(programme)}
    )


def _status_figures(sender, programme, at, **kwargs):
    from handover.criteria import gate_status_figures

    return gate_status_figures(programme=programme, at=at)


def _keep_standing_signatories(sender, membership, **kwargs):
    """A signatory whose sign-off stands stays a member: the exit decision names them."""
    from django.core.exceptions import ValidationError

    from handover.models import SignOff

    if SignOff.objects.of(membership.programme).standing().filter(signatory_id=membership.user_id).exists():
        raise ValidationError(
            f"{membership.user.get_username()} has signed the exit: they stay a member while their sign-off "
            "stands (they may revoke it first)."
        )
