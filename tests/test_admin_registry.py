"""Every model of the project is in the Django admin, searchable and filterable, and its pages load."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

PROJECT_APPS = ("accounts", "courses", "teams", "proposals", "labeling", "grading")
PROJECT_MODELS = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m._meta.label)
def test_every_model_is_registered_searchable_and_filterable(model):
    model_admin = admin.site._registry.get(model)
    assert model_admin is not None, f"{model._meta.label} is not registered in the admin"
    assert model_admin.search_fields, f"{model._meta.label} has no search_fields"
    assert model_admin.list_filter, f"{model._meta.label} has no list_filter"


@pytest.mark.django_db
@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m._meta.label)
def test_the_changelist_loads_with_a_search(client, model):
    admin_user = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw-1234567890")
    client.force_login(admin_user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url, {"q": "x"}).status_code == 200
