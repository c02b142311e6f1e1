#!/usr/bin/env python3
"""Drop-in scenario: the pet-tracking app written with PynamoDB models.

Two models share one table (single-table design): User (PROFILE items) and Pet
(PET# items, with a GlobalSecondaryIndex bySpecies and a VersionAttribute for
optimistic locking). Uses create_table(wait=True), batch_write(), query with a
begins_with range-key condition and page_size / limit + last_evaluated_key,
NumberAttribute round trips, TransactWrite, and PynamoDB's own exceptions.

Endpoint: $CAIRN_ENDPOINT (default http://127.0.0.1:8000).
"""
import os
import sys
import traceback

from pynamodb.attributes import NumberAttribute, NumberSetAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

SCENARIO = "pynamodb_models"
TABLE = "pets_pynamodb_models"
ENDPOINT = os.environ.get("CAIRN_ENDPOINT", "http://127.0.0.1:8000")
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "AKIDDROPIN")
SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", "dropin-secret")


def fail(msg):
    print(f"FAIL {SCENARIO}: {msg}", file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class BaseMeta:
    table_name = TABLE
    host = ENDPOINT
    region = REGION
    aws_access_key_id = KEY_ID
    aws_secret_access_key = SECRET
    billing_mode = "PAY_PER_REQUEST"
    max_retry_attempts = 3


class SpeciesIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "bySpecies"
        projection = AllProjection()

    species = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


class Pet(Model):
    class Meta(BaseMeta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    name = UnicodeAttribute()
    species = UnicodeAttribute()
    weight = NumberAttribute(attr_name="birth_weight")
    version = VersionAttribute()
    by_species = SpeciesIndex()


class User(Model):
    class Meta(BaseMeta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK", default="PROFILE")
    name = UnicodeAttribute()
    email = UnicodeAttribute()


class Numbers(Model):
    class Meta(BaseMeta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    a = NumberAttribute()
    b = NumberAttribute()
    c = NumberAttribute()
    d = NumberAttribute()
    e = NumberAttribute()
    f = NumberAttribute()
    g = NumberAttribute()
    s = NumberSetAttribute()


SPECIES = ["cat", "dog", "dog", "parrot"]  # pet i has species SPECIES[i % 4]


def main():
    if Pet.exists():
        Pet.delete_table(wait=True)

    # --- create table (PynamoDB's wait) ----------------------------------------------
    Pet.create_table(wait=True)
    desc = Pet.describe_table()
    check(desc["TableStatus"] == "ACTIVE", f"table status {desc['TableStatus']}")
    check(desc.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST", f"billing {desc.get('BillingModeSummary')}")
    gsi = {g["IndexName"]: g for g in desc.get("GlobalSecondaryIndexes", [])}.get("bySpecies")
    check(gsi is not None and gsi["Projection"]["ProjectionType"] == "ALL", f"GSI {desc.get('GlobalSecondaryIndexes')}")
    check(gsi["KeySchema"] == [{"AttributeName": "species", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
          f"GSI key schema {gsi['KeySchema']}")

    User(pk="USER#u1", name="Alice", email="alice@example.com").save()
    User(pk="USER#u2", name="Bob", email="bob@example.com").save()

    # --- batch_write: 200 pets --------------------------------------------------------
    # BatchWriteItem cannot carry conditions, so PynamoDB does not manage the version
    # here: the app sets the initial version itself.
    with Pet.batch_write() as batch:
        for i in range(200):
            batch.save(Pet(pk="USER#u1", sk=f"PET#{i:03d}", name=f"pet-{i}", species=SPECIES[i % 4],
                           weight=i + 0.25, version=1))
    check(not batch.failed_operations, f"batch_write failed operations: {batch.failed_operations}")

    # --- query begins_with with page_size 25 (PynamoDB follows LastEvaluatedKey) --------
    result = Pet.query("USER#u1", Pet.sk.startswith("PET#"), page_size=25)
    pets = list(result)
    sks = [p.sk for p in pets]
    check(len(sks) == 200, f"query(page_size=25) returned {len(sks)} pets, expected 200")
    check(len(set(sks)) == 200, f"query(page_size=25) returned {200 - len(set(sks))} duplicates")
    check(sks == sorted(sks), "query results are not in sort-key order")
    check(result.total_count == 200, f"ResultIterator.total_count {result.total_count}")
    check(all(isinstance(p, Pet) and p.version == 1 for p in pets), "pets not read back as Pet models with version 1")
    check(pets[7].weight == 7.25 and pets[7].species == "parrot", f"PET#007 read back as {pets[7].attribute_values}")

    # limit=25 pages, resuming from last_evaluated_key by hand.
    seen, lek, pages = [], None, 0
    while True:
        page = Pet.query("USER#u1", Pet.sk.startswith("PET#"), limit=25, last_evaluated_key=lek)
        batch_items = list(page)
        pages += 1
        check(len(batch_items) <= 25, f"limit=25 returned {len(batch_items)} items")
        seen.extend(p.sk for p in batch_items)
        lek = page.last_evaluated_key
        if lek is None or pages > 20:
            break
    check(len(seen) == 200 and len(set(seen)) == 200, f"limit/last_evaluated_key loop: {len(seen)} items, {len(set(seen))} distinct")
    check(8 <= pages <= 9, f"limit/last_evaluated_key loop took {pages} pages")

    # --- GSI query by species -----------------------------------------------------------
    cats = list(Pet.by_species.query("cat", page_size=25))
    check(len(cats) == 50 and all(c.species == "cat" for c in cats), f"GSI cat query: {len(cats)} items")
    check(Pet.by_species.count("dog") == 100, f"GSI count(dog) = {Pet.by_species.count('dog')}")
    late_parrots = list(Pet.by_species.query("parrot", Pet.sk.between("PET#100", "PET#199")))
    check(len(late_parrots) == 25, f"GSI parrot between PET#100 and PET#199: {len(late_parrots)}")
    heavy_cats = Pet.by_species.count("cat", filter_condition=Pet.weight >= 100)
    check(heavy_cats == 25, f"GSI count(cat, weight >= 100) = {heavy_cats}")

    # --- NumberAttribute round trips (JSON numbers: float and int) -------------------------
    # 12345678901234567890.5 is not representable by NumberAttribute (it serializes a float);
    # the boto3 scenarios cover it.
    values = dict(a=3.25, b=0.1, c=12345678901234567890, d=2 ** 64 + 1, e=-(2 ** 63) - 1, f=1e-130, g=-0.000001)
    Numbers(pk="USER#u1", sk="NUMBERS", s={3.25, 0.1, 12345678901234567890}, **values).save()
    got = Numbers.get("USER#u1", "NUMBERS", consistent_read=True)
    for k, v in values.items():
        check(getattr(got, k) == v and type(getattr(got, k)) is type(v), f"{k}: wrote {v!r}, read back {getattr(got, k)!r}")
    check(got.s == {3.25, 0.1, 12345678901234567890}, f"number set read back as {got.s}")
    got.update(actions=[Numbers.c.add(1)])
    check(Numbers.get("USER#u1", "NUMBERS", consistent_read=True).c == 12345678901234567891, "ADD 1 to a 20-digit integer")

    # --- optimistic locking with VersionAttribute ------------------------------------------
    fresh = Pet.get("USER#u1", "PET#007", consistent_read=True)
    stale = Pet.get("USER#u1", "PET#007", consistent_read=True)
    fresh.update(actions=[Pet.name.set("Rex")])
    check(fresh.version == 2, f"version after update: {fresh.version}")
    check(Pet.get("USER#u1", "PET#007", consistent_read=True).version == 2, "stored version is not 2")
    try:
        stale.update(actions=[Pet.name.set("Stale")])
        fail("update with stale version 1 succeeded")
    except UpdateError as e:
        check(e.cause_response_code == "ConditionalCheckFailedException", f"UpdateError cause {e.cause_response_code}: {e}")
    try:
        stale.name = "Stale"
        stale.save()
        fail("save with stale version 1 succeeded")
    except PutError as e:
        check(e.cause_response_code == "ConditionalCheckFailedException", f"PutError cause {e.cause_response_code}: {e}")
    stale.refresh(consistent_read=True)
    check(stale.name == "Rex" and stale.version == 2, f"after refresh: {stale.name} v{stale.version}")
    stale.weight = 7.5
    stale.save()
    check(stale.version == 3, f"version after save: {stale.version}")

    # --- TransactWrite: adopt PET#007 (u1 -> u2) ------------------------------------------
    connection = Connection(host=ENDPOINT, region=REGION, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    old = Pet.get("USER#u1", "PET#007", consistent_read=True)
    adopted = Pet(pk="USER#u2", sk=old.sk, name=old.name, species=old.species, weight=old.weight)
    with TransactWrite(connection=connection) as t:
        t.condition_check(User, "USER#u2", "PROFILE", condition=User.pk.exists())
        t.delete(old)  # conditioned on version = 3
        t.save(adopted)  # conditioned on the version not existing yet; stores version 1
    try:
        Pet.get("USER#u1", "PET#007", consistent_read=True)
        fail("PET#007 still under u1 after adoption")
    except DoesNotExist:
        pass
    moved = Pet.get("USER#u2", "PET#007", consistent_read=True)
    check((moved.name, moved.weight, moved.version) == ("Rex", 7.5, 1), f"adopted pet {moved.attribute_values}")
    check(Pet.count("USER#u1", Pet.sk.startswith("PET#")) == 199, "u1 should have 199 pets after adoption")

    # --- cancelled transactions -----------------------------------------------------------
    pet8 = Pet.get("USER#u1", "PET#008", consistent_read=True)
    try:
        with TransactWrite(connection=connection) as t:
            t.condition_check(User, "USER#u9", "PROFILE", condition=User.pk.exists())
            t.delete(pet8)
            t.save(Pet(pk="USER#u9", sk="PET#008", name=pet8.name, species=pet8.species, weight=pet8.weight))
        fail("transaction to a missing owner succeeded")
    except TransactWriteError as e:
        check(e.cause_response_code == "TransactionCanceledException", f"TransactWriteError cause {e.cause_response_code}")
        codes = [r.code if r else None for r in e.cancellation_reasons]
        check(codes == ["ConditionalCheckFailed", None, None], f"cancellation reasons {e.cancellation_reasons}")
    check(Pet.get("USER#u1", "PET#008", consistent_read=True).version == 1, "cancelled transaction changed PET#008")
    check(Pet.count("USER#u9") == 0, "cancelled transaction wrote under u9")

    stale8 = Pet.get("USER#u1", "PET#008", consistent_read=True)
    pet8.update(actions=[Pet.name.set("Fido")])  # version 1 -> 2; stale8 still holds 1
    try:
        with TransactWrite(connection=connection) as t:
            t.condition_check(User, "USER#u2", "PROFILE", condition=User.pk.exists())
            t.delete(stale8)
        fail("transaction deleting with a stale version succeeded")
    except TransactWriteError as e:
        check(e.cause_response_code == "TransactionCanceledException", f"TransactWriteError cause {e.cause_response_code}")
        codes = [r.code if r else None for r in e.cancellation_reasons]
        check(codes == [None, "ConditionalCheckFailed"], f"cancellation reasons {e.cancellation_reasons}")

    # --- delete table ---------------------------------------------------------------------
    Pet.delete_table(wait=True)
    check(not Pet.exists(), "table still exists after delete_table(wait=True)")
    print(f"ok {SCENARIO}")


if __name__ == "__main__":
    try:
        main()
    except PynamoDBException as e:
        traceback.print_exc()
        fail(f"unexpected {type(e).__name__}: {e} (cause {e.cause_response_code}: {e.cause_response_message})")
    except Exception as e:  # noqa: BLE001 - any other error fails the scenario with its traceback
        traceback.print_exc()
        fail(f"unexpected {type(e).__name__}: {e}")
