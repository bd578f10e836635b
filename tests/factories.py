"""factory_boy factories. Agreements and activities are made through the services, so that the
status history and `last_activity_on` are as the application itself would leave them."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from registry.models import ActivityLog, Municipality, Network, NetworkMembership, Tier, TwinningAgreement
from registry.services.activity import log_activity
from registry.services.agreements import sign_agreement
from registry.services.codes import lg_check_digit
from registry.services.search import search_key_of

_codes = itertools.count(1)


def next_lg_code(prefecture: int = 42) -> str:
    """A fresh, valid code inside a prefecture (municipality part 500-999 stays clear of real ones)."""
    first_five = f"{prefecture:02d}{500 + next(_codes) % 500:03d}"
    return first_five + str(lg_check_digit(first_five))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class SearchableFactory(factory.django.DjangoModelFactory):
    """Municipalities with their `search_key`, as the services that write names leave it."""

    class Meta:
        model = Municipality
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if "search_key" not in kwargs:
            kwargs["search_key"] = search_key_of(model_class(*args, **kwargs))
        return super()._create(model_class, *args, **kwargs)


class PrefectureFactory(SearchableFactory):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"県{n}")
    name_en = factory.Sequence(lambda n: f"Prefecture {n}")
    country = "JP"
    tier = Tier.PREFECTURE
    lg_code = None


class MunicipalityFactory(SearchableFactory):
    """A Japanese city unless told otherwise."""

    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"市{n}")
    name_en = factory.Sequence(lambda n: f"City {n}")
    name_kana = ""
    country = "JP"
    tier = Tier.CITY
    lg_code = factory.LazyFunction(next_lg_code)
    latitude = 32.75
    longitude = 129.87


class ForeignCityFactory(MunicipalityFactory):
    name = factory.Sequence(lambda n: f"Foreign City {n}")
    name_en = factory.LazyAttribute(lambda city: city.name)
    country = "US"
    tier = Tier.LOCALITY
    lg_code = None
    population = 100_000


class AgreementFactory(factory.django.DjangoModelFactory):
    """An agreement recorded through sign_agreement (Japanese city – foreign city by default)."""

    class Meta:
        model = TwinningAgreement

    municipality_a = factory.SubFactory(MunicipalityFactory)
    municipality_b = factory.SubFactory(ForeignCityFactory)
    kind = "sister"
    signed_on = dt.date(2000, 4, 1)
    status = "active"

    @classmethod
    def _create(cls, model_class, *args, municipality_a, municipality_b, **kwargs):
        return sign_agreement(a=municipality_a, b=municipality_b, **kwargs)


class ActivityFactory(factory.django.DjangoModelFactory):
    """An activity logged through log_activity."""

    class Meta:
        model = ActivityLog

    agreement = factory.SubFactory(AgreementFactory)
    occurred_on = dt.date(2024, 5, 1)
    category = "education"
    title = factory.Sequence(lambda n: f"Student exchange {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return log_activity(**kwargs)


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    slug = factory.Sequence(lambda n: f"network-{n}")
    name = factory.Sequence(lambda n: f"Network {n}")
    scale = "global"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetworkMembership

    network = factory.SubFactory(NetworkFactory)
    municipality = factory.SubFactory(MunicipalityFactory)
    role = "active"


def coordinators_group() -> Group:
    return Group.objects.get_or_create(name="coordinators")[0]
