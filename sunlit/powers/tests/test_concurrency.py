"""Two officials publishing the same draft at once: exactly one wins, the other gets a clear refusal."""

import threading

import pytest
from django.db import connection

from sunlit.core.errors import DomainError
from sunlit.powers import services
from sunlit.powers.exchange import dump_yaml
from sunlit.powers.models import Catalog
from sunlit.powers.tests.docs import small_document
from sunlit.powers.vocab import CatalogStatus


@pytest.mark.django_db(transaction=True)
def test_concurrent_publish_exactly_one_succeeds(tree):
    first = services.catalog_import(
        actor=None, owner=tree.county, source=dump_yaml(small_document()).encode()
    )
    services.catalog_publish(actor=None, catalog=first)
    draft = services.catalog_new_draft(actor=None, catalog=Catalog.objects.get(pk=first.pk))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def publish():
        try:
            barrier.wait(timeout=10)
            services.catalog_publish(actor=None, catalog=Catalog.objects.get(pk=draft.pk))
            result = "ok"
        except DomainError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["catalog_not_draft", "ok"]
    statuses = dict(Catalog.objects.values_list("pk", "status"))
    assert statuses == {first.pk: CatalogStatus.RETIRED, draft.pk: CatalogStatus.PUBLISHED}
