"""The public's pages are rendered once per data version and day (registry.pages.response_cache)."""

from __future__ import annotations

from http import HTTPStatus

from django.test import Client

from tests.factories import AgreementFactory, ForeignCityFactory, UserFactory


def test_the_public_gets_the_kept_page_until_a_write(client, nagasaki, saint_paul, django_assert_num_queries):
    AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul)
    url = f"/en/municipalities/{nagasaki.pk}/"
    first = client.get(url)
    with django_assert_num_queries(1):  # the data version only
        again = client.get(url)
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Content-Language"] == "en"  # the middleware after the view adds its headers again
    AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(name="Porto", country="PT"))
    assert "Porto" in client.get(url).content.decode()  # a write through the services: a new version


def test_pages_are_kept_apart_by_address_and_language(client, nagasaki, saint_paul):
    AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul)
    english = client.get("/en/search/", {"q": "saint"}).content.decode()
    japanese = client.get("/ja/search/", {"q": "saint"}).content.decode()
    other = client.get("/en/search/", {"q": "nagasaki"}).content.decode()
    assert len({english, japanese, other}) == 3
    assert client.get("/en/search/", {"q": "saint"}).content.decode() == english


def test_signed_in_readers_always_get_a_rendered_page(nagasaki, django_assert_num_queries):
    reader = Client()
    reader.force_login(UserFactory(username="reader"))
    url = f"/en/municipalities/{nagasaki.pk}/"
    reader.get(url)
    with django_assert_num_queries(4):  # session, user, the authority, the data version (its body is cached)
        assert reader.get(url).status_code == HTTPStatus.OK


def test_only_complete_answers_are_kept(client, db, django_assert_num_queries):
    assert client.get("/en/municipalities/999999/").status_code == HTTPStatus.NOT_FOUND
    with django_assert_num_queries(2):  # the data version and the lookup again: a 404 is not kept
        assert client.get("/en/municipalities/999999/").status_code == HTTPStatus.NOT_FOUND


def test_a_reader_with_a_message_waiting_gets_a_rendered_page(client, nagasaki):
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest, HttpResponse

    url = f"/en/municipalities/{nagasaki.pk}/"
    client.get(url)  # kept for the public
    storage = CookieStorage(HttpRequest())
    storage.add(20, "You have signed out.")
    response = HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value
    assert "You have signed out." in client.get(url).content.decode()
