from django.db import migrations

# A copy of surveys.access.ROLE_PERMISSIONS as it was when this migration was written.
ROLE_PERMISSIONS = {
    "Managers": ["view_org_dashboard", "export_results"],
    "Facilitators": ["run_rounds", "view_org_dashboard", "export_results"],
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now so
    # the groups can hold them on a fresh database.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = Permission.objects.filter(
            content_type__app_label="surveys", codename__in=codenames
        )
        group.permissions.add(*permissions)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
