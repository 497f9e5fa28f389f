from django.apps import AppConfig

from agent import checks  # noqa: F401  (registers the system checks)


class AgentConfig(AppConfig):
    name = "agent"

    def ready(self):
        from celery.signals import worker_init, worker_process_init

        from agent.warm import warm_up_process, warm_up_worker

        worker_init.connect(warm_up_worker, weak=False, dispatch_uid="agent.warm_up_worker")
        worker_process_init.connect(warm_up_process, weak=False, dispatch_uid="agent.warm_up_process")
