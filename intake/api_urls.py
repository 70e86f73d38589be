"""The e-mail intake has no API of its own: mail arrives over IMAP, tickets are read through the tickets API."""

urlpatterns: list = []
