"""Alembic environment of the app store. Run through dashboard.auth.store.upgrade() (the app at start,
`python -m dashboard.users migrate`), which hands over its connection."""

from alembic import context

from dashboard.auth.store import metadata, resolve_url

config = context.config
target_metadata = metadata


def run_offline() -> None:
    context.configure(url=resolve_url(config.get_main_option("sqlalchemy.url")), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    con = config.attributes.get("connection")
    if con is None:
        import sqlalchemy as sa

        engine = sa.create_engine(resolve_url(config.get_main_option("sqlalchemy.url")))
        with engine.begin() as con:
            context.configure(connection=con, target_metadata=metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=con, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
