from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from pagecache.cache import register_next_change


class PrioritiesConfig(AppConfig):
    name = "priorities"
    verbose_name = _("Published record")

    def ready(self):
        # Statements appear, and comment periods open and close, by themselves: cached pages must
        # not outlive the next such moment.
        register_next_change(self.get_model("Statement").objects.next_scheduled_change)
