"""HTML pages of the tickets app, under /p/<slug>/."""

from tickets.urls_import import urlpatterns as import_urls
from tickets.urls_pages import urlpatterns as page_urls

app_name = "tickets"

urlpatterns = [*page_urls, *import_urls]
