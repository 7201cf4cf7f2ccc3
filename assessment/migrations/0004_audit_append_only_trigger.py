"""On PostgreSQL, the database itself refuses UPDATE and DELETE on the audit log.

The ORM guards (AuditEventQuerySet, AuditEvent.save/delete) stop mistakes in our
code; this trigger also stops _base_manager.update(), raw SQL and any other
client. One UPDATE stays possible: setting actor_id to NULL with every other
column unchanged, which is what deleting a user account does (on_delete=SET_NULL);
the row keeps actor_username. TRUNCATE is not a row operation and stays with the
database owner (docs/operations.md). SQLite has no such triggers here: a no-op.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION assessment_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
        AND (NEW.id, NEW.created_at, NEW.actor_username, NEW.action, NEW.target, NEW.details)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.created_at, OLD.actor_username, OLD.action, OLD.target, OLD.details)
    THEN
        RETURN NEW;  -- the actor's account was deleted; the row keeps actor_username
    END IF;
    RAISE EXCEPTION 'The audit log is append-only: % on assessment_auditevent is refused.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER assessment_auditevent_append_only
    BEFORE UPDATE OR DELETE ON assessment_auditevent
    FOR EACH ROW EXECUTE FUNCTION assessment_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS assessment_auditevent_append_only ON assessment_auditevent;
DROP FUNCTION IF EXISTS assessment_auditevent_append_only();
"""


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ("assessment", "0003_audit_actions"),
    ]

    operations = [
        PostgreSQLOnly(sql=CREATE, reverse_sql=DROP),
    ]
