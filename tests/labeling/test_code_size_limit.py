import pytest
from django.core.exceptions import ValidationError

from labeling import services
from tests.labeling.factories import make_challenge

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("limit", [0, 10, 50 * 1024 * 1024])
def test_an_absurd_code_size_limit_is_refused(people, limit):
    challenge = make_challenge(people.course)
    with pytest.raises(ValidationError) as exc:
        services.update_challenge(challenge, max_code_bytes=limit)
    assert "code size limit" in " ".join(exc.value.message_dict["max_code_bytes"])
    challenge.refresh_from_db()
    assert challenge.max_code_bytes == 256 * 1024


def test_a_sensible_limit_is_kept(people):
    challenge = make_challenge(people.course)
    services.update_challenge(challenge, max_code_bytes=64 * 1024)
    challenge.refresh_from_db()
    assert challenge.max_code_bytes == 64 * 1024
