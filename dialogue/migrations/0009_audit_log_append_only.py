"""
The audit log cannot be rewritten, even by SQL: a trigger refuses UPDATE and DELETE on moderation
events (issue 15 item 4). The one change it lets through is forgetting who acted when an account
is deleted: actor_id set to NULL (Django's SET_NULL) and actor_name replaced by the account's
pseudonym ("Former participant 7F3K"); every other column must stay as it was.

PostgreSQL: one trigger function for both (compares the rows as JSON without those two columns,
so a column added later is covered too). TRUNCATE, a table owner's maintenance statement that the
test runner uses to empty tables, is not a row change and is not refused.
SQLite: UPDATE is refused the same way. DELETE is not refused there: Django's own flush (the
test runner's, `manage.py flush`) empties tables with DELETE in no fixed order, so a trigger
would stop it; the model refuses `delete()` as on every database.
"""

from django.db import migrations

PSEUDONYM = "Former participant %"

POSTGRESQL = f"""
CREATE FUNCTION dialogue_moderationevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - 'actor_id' - 'actor_name' = to_jsonb(OLD) - 'actor_id' - 'actor_name'
       AND (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id OR NEW.actor_id IS NULL)
       AND (NEW.actor_name = OLD.actor_name OR NEW.actor_name LIKE '{PSEUDONYM}')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'moderation events are append-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dialogue_moderationevent_append_only
    BEFORE UPDATE OR DELETE ON dialogue_moderationevent
    FOR EACH ROW EXECUTE FUNCTION dialogue_moderationevent_append_only();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS dialogue_moderationevent_append_only ON dialogue_moderationevent;
DROP FUNCTION IF EXISTS dialogue_moderationevent_append_only();
"""

SQLITE = f"""
CREATE TRIGGER dialogue_moderationevent_append_only
BEFORE UPDATE ON dialogue_moderationevent
WHEN NOT (
    NEW.id IS OLD.id AND NEW.comment_id IS OLD.comment_id AND NEW.action IS OLD.action
    AND NEW.from_status IS OLD.from_status AND NEW.to_status IS OLD.to_status
    AND NEW.reason IS OLD.reason AND NEW.note IS OLD.note AND NEW.created_at IS OLD.created_at
    AND (NEW.actor_id IS OLD.actor_id OR NEW.actor_id IS NULL)
    AND (NEW.actor_name IS OLD.actor_name OR NEW.actor_name LIKE '{PSEUDONYM}')
)
BEGIN
    SELECT RAISE(ABORT, 'moderation events are append-only (UPDATE refused)');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS dialogue_moderationevent_append_only;"


def create(apps, schema_editor):
    sql = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)  # no placeholders: the "%" in the SQL are its own


def drop(apps, schema_editor):
    sql = {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)  # no placeholders: the "%" in the SQL are its own


class Migration(migrations.Migration):
    dependencies = [
        ("dialogue", "0008_author_notifications"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
