"""After login, a member of one programme lands in it; a member of several chooses."""

from hypercare.roles import Role
from tests.factories import PASSWORD, MembershipFactory


def log_in(client, username: str, next_: str = ""):
    url = "/accounts/login/" + (f"?next={next_}" if next_ else "")
    return client.post(url, {"username": username, "password": PASSWORD})


def test_it_lands_a_member_of_one_programme_in_it(client, champion):
    response = log_in(client, "champion")
    assert response.status_code == 302
    assert response["Location"] == "/p/acme/"


def test_it_shows_the_chooser_to_a_member_of_two_programmes(client, champion, other_programme):
    MembershipFactory(programme=other_programme, user=champion.user, roles=[Role.CHAMPION])
    response = log_in(client, "champion")
    assert response["Location"] == "/"
    page = client.get("/")
    assert "Acme go-live" in page.text and "Globex go-live" in page.text


def test_it_shows_the_chooser_to_a_member_of_none(client, staff_user):
    assert log_in(client, "staff")["Location"] == "/"


def test_it_still_follows_next(client, champion):
    assert log_in(client, "champion", "/p/acme/tickets/")["Location"] == "/p/acme/tickets/"


def test_it_does_not_land_in_a_programme_the_membership_left(client, champion):
    champion.membership.is_active = False
    champion.membership.save()
    assert log_in(client, "champion")["Location"] == "/"
