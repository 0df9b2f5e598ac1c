"""
Written-out statements for the drawing hot path.

The ORM builds every statement anew each time it runs one; for the few
statements each batch of stroke chunks runs, building them took longer than
the database took to run them (docs/performance.md). `insert_rows` writes an
INSERT out from the model's own field definitions instead, so every value
still goes through its field's `pre_save` and `get_db_prep_save`, and nothing
is kept in step with the model by hand.
"""

from django.db import connections, router


def insert_rows(instances):
    """
    INSERT unsaved `instances` of one model in one statement. Their primary
    keys are not read back: for rows nothing in the transaction reads again.
    """
    if not instances:
        return
    model = type(instances[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    row = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {', '.join([row] * len(instances))}",
            [
                field.get_db_prep_save(field.pre_save(instance, add=True), connection)
                for instance in instances
                for field in fields
            ],
        )
