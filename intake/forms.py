from django import forms

from intake.models import ChatPlatform, Mailbox, Security


class MailboxForm(forms.Form):
    enabled = forms.BooleanField(required=False, initial=True, help_text="Poll this mailbox every minute.")
    host = forms.CharField(max_length=255, help_text="The IMAP server, e.g. outlook.office365.com")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(choices=Security.choices, initial=Security.SSL)
    username = forms.CharField(max_length=255, help_text="The mailbox's login, usually its address.")
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted. Leave blank to keep the stored one.",
    )
    password_env = forms.CharField(
        required=False,
        max_length=100,
        label="Password from environment variable",
        help_text="Or name an environment variable of the worker that holds the password (it wins when set).",
    )
    folder = forms.CharField(max_length=255, initial="INBOX")

    @classmethod
    def for_mailbox(cls, mailbox: Mailbox | None, data=None):
        initial = {}
        if mailbox is not None:
            initial = {name: getattr(mailbox, name) for name in cls.base_fields if name != "password"}
        return cls(data, initial=initial)


class ChatChannelForm(forms.Form):
    platform = forms.ChoiceField(choices=ChatPlatform.choices, initial=ChatPlatform.SLACK)
    name = forms.CharField(
        max_length=100, required=False, help_text="What you call the channel, e.g. #acme-hypercare."
    )
    team_id = forms.CharField(
        label="Team id",
        max_length=255,
        required=False,
        help_text="Slack: the workspace id (T…). The bot says it when asked from an unlinked channel.",
    )
    channel_id = forms.CharField(
        label="Channel id",
        max_length=255,
        required=False,
        help_text="Slack: the channel id (C…). Teams: leave empty for every channel of the team, or give one.",
    )
    token = forms.CharField(
        label="Security token (Teams)",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Shown by Teams when the outgoing webhook is created. Stored encrypted.",
    )
