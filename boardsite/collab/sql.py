"""
Written-out statements for the drawing hot path.

The ORM builds every statement anew each time it runs one; for the few
statements each batch of stroke chunks runs, building them took longer than
the database took to run them (docs/performance.md). `insert_rows` writes an
INSERT out from the model's own field definitions instead, so every value
still goes through its field's `pre_save` and `get_db_prep_save`, and nothing
is kept in step with the model by hand. `in_batches` splits the long id
lists of the changes that name many rows into queries of a size every
database accepts.
"""

from django.db import connections, router


def insert_rows(instances):
    """
    INSERT unsaved `instances` of one model, in as few statements as the
    backend's parameter limit allows. Their primary keys are not read back:
    for rows nothing in the transaction reads again.
    """
    if not instances:
        return
    model = type(instances[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    insert = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "
    )
    row = f"({', '.join(['%s'] * len(fields))})"
    size = connection.ops.bulk_batch_size(fields, instances)
    with connection.cursor() as cursor:
        for start in range(0, len(instances), size):
            part = instances[start:start + size]
            cursor.execute(
                insert + ", ".join([row] * len(part)),
                [
                    field.get_db_prep_save(field.pre_save(instance, add=True), connection)
                    for instance in part
                    for field in fields
                ],
            )


# Values per query in `column IN (...)` lists: a change may name tens of
# thousands of rows, more than a database accepts as parameters of one query.
IDS_PER_QUERY = 2000


def in_batches(values, size=IDS_PER_QUERY):
    """`values` in lists of at most `size`, one per query."""
    values = list(values)
    return (values[start : start + size] for start in range(0, len(values), size))
