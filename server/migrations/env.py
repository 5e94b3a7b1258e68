import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Alembic's ini logging is for the bare `alembic` command only. Inside the app (tests,
# `flask db upgrade`, main.py) logging is already set up with the secret-masking filter;
# fileConfig would replace those handlers and disable every existing logger.
if not any(getattr(h, "_kesher", False) for h in logging.getLogger().handlers):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


# Database objects that live outside the models, created by hand-written migrations:
# autogenerate must neither drop them nor propose them (0002_crm_search).
UNMODELLED_TABLES = {"customer_day_count"}
UNMODELLED_TABLE_PREFIXES = ("customer_fts", "knowledge_fts")  # the FTS5 tables and their shadow tables
UNMODELLED_INDEXES = {"ix_customer_search_trgm", "ix_knowledge_passage_tsv"}  # 0005_knowledge too
UNMODELLED_COLUMNS = {("knowledge_passage", "search_tsv")}  # PostgreSQL's stored tsvector (0005_knowledge)


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and (name in UNMODELLED_TABLES or (name or "").startswith(UNMODELLED_TABLE_PREFIXES)):
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    if type_ == "column" and (getattr(getattr(obj, "table", None), "name", None), name) in UNMODELLED_COLUMNS:
        return False
    return True


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True,
        include_object=include_object,
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    conf_args.setdefault("include_object", include_object)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
