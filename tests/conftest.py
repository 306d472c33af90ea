import contextlib

import pytest
from django.utils import translation

from tests import dbflush, factories
from tests.fixtures_instruments import shipped_instruments  # noqa: F401 - autouse for every test

# --- suite: a transactional test's teardown empties the tables by DELETE, not TRUNCATE ---
dbflush.install()


# --- suite: test databases copied from one migrated template, not migrated in every process ---
@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """Runs after pytest-django's xdist suffix (``_gw0``) and before the test databases are made.

    Under `make test` (``MHCARE_TEST_DB_TEMPLATE`` set, see tests/dbtemplate.py) every test
    database of the run — the serial run's, each xdist worker's, and their replicas — is a copy of
    one template migrated once per run. Otherwise the primary's is migrated as before, and the
    "replica" alias's (mhcare.settings.test) is a copy of it rather than a second migrate: the same
    schema, data-migration rows and grants, as a physical replica of the primary has. Either way
    Django's ``migrate`` still runs on each copy and finds every migration applied."""
    import os

    from django.db import connections

    from tests import dbtemplate

    primary = connections["default"]
    aliases = [alias for alias in ("default", "replica") if alias in connections.settings]
    run = os.environ.get(dbtemplate.ENVIRONMENT)
    if run and not request.config.getvalue("nomigrations"):
        template = dbtemplate.template_for_run(primary.settings_dict, run)
        for alias in aliases:
            connections[alias].settings_dict["TEST"]["TEMPLATE"] = template
        return
    if "replica" not in aliases:
        return
    replica_creation = connections["replica"].creation
    replica_creation.connection.settings_dict["TEST"]["TEMPLATE"] = (
        primary.creation._get_test_db_name()
    )
    create = replica_creation._create_test_db

    def create_from_primary(*args, **kwargs):
        # CREATE DATABASE … TEMPLATE needs the template free of connections: the primary's,
        # opened by its own set-up, reconnects at its next query.
        primary.close()
        return create(*args, **kwargs)

    replica_creation._create_test_db = create_from_primary


@pytest.fixture(autouse=True)
def english_unless_asked(request, settings):
    """Unit and integration tests read the English msgids: the product's default language stays
    简体中文 (asserted by the browser tests, whose server runs in its own thread), but a test that
    compares a page with a message constant must not depend on whether the catalogue is compiled.
    Requests carry no Accept-Language, so the page follows the active language set here."""
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("zh"):
        yield
        return
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def make_school_year():
    year = factories.SchoolYearFactory()
    factories.SemesterFactory(school_year=year)
    return year


@pytest.fixture
def school_year(db):
    return make_school_year()


@pytest.fixture
def world(db, school_year):
    """Two counties, two schools in the first county, one in the second; a class and two students in
    each school, and one user per role. Enough for every scope-matrix test."""
    return make_world(school_year)


def make_world(school_year):
    """The ``world`` fixture's rows (for a fixture of a wider scope, see ``shared_rows``)."""
    province = factories.ProvinceFactory()
    city = factories.CityFactory(parent=province, code="3301", name="杭州市")
    county_a = factories.CountyFactory(parent=city, code="330106", name="西湖区")
    county_b = factories.CountyFactory(parent=city, code="330102", name="上城区")
    school_a = factories.SchoolFactory(parent=county_a, code="3301060001", name="西湖一中")
    school_a2 = factories.SchoolFactory(parent=county_a, code="3301060002", name="西湖二中")
    school_b = factories.SchoolFactory(parent=county_b, code="3301020001", name="上城一中")
    class_a = factories.SchoolClassFactory(school=school_a, school_year=school_year, name="八(1)班")
    class_a_other = factories.SchoolClassFactory(
        school=school_a, school_year=school_year, name="八(2)班"
    )
    class_a2 = factories.SchoolClassFactory(
        school=school_a2, school_year=school_year, name="八(1)班"
    )
    class_b = factories.SchoolClassFactory(school=school_b, school_year=school_year, name="八(1)班")
    students = {
        "a": factories.StudentFactory(klass=class_a, name="张小明"),
        "a_other_class": factories.StudentFactory(klass=class_a_other, name="李小红"),
        "a2": factories.StudentFactory(klass=class_a2, name="王小刚"),
        "b": factories.StudentFactory(klass=class_b, name="赵小丽"),
    }
    for student in students.values():
        factories.GuardianFactory(student=student)
    from mhcare.accounts.models import Role

    users = {
        "psych_a": factories.user_with_role(Role.PSYCH_TEACHER, school_a, username="psych_a"),
        "psych_b": factories.user_with_role(Role.PSYCH_TEACHER, school_b, username="psych_b"),
        "leader_a": factories.user_with_role(Role.SCHOOL_LEADER, school_a, username="leader_a"),
        "homeroom_a": factories.user_with_role(
            Role.HOMEROOM_TEACHER, school_a, klass=class_a, username="homeroom_a"
        ),
        "center_a": factories.user_with_role(Role.COUNTY_CENTER, county_a, username="center_a"),
        "center_b": factories.user_with_role(Role.COUNTY_CENTER, county_b, username="center_b"),
        "official_a": factories.user_with_role(Role.OFFICIAL, county_a, username="official_a"),
        "official_province": factories.user_with_role(
            Role.OFFICIAL, province, username="official_province"
        ),
        "admin": factories.user_with_role(Role.PLATFORM_ADMIN, province, username="admin"),
    }
    class_a.homeroom_teacher = users["homeroom_a"]
    class_a.save()

    class World:
        pass

    w = World()
    w.province, w.city = province, city
    w.county_a, w.county_b = county_a, county_b
    w.school_a, w.school_a2, w.school_b = school_a, school_a2, school_b
    w.class_a, w.class_a_other, w.class_a2, w.class_b = class_a, class_a_other, class_a2, class_b
    w.students, w.users = students, users
    w.password = factories.PASSWORD
    return w


@contextlib.contextmanager
def shared_rows(django_db_blocker):
    """For a class- or module-scoped fixture whose rows several tests read (``with
    shared_rows(django_db_blocker): …make them…; yield``): the rows are made in a transaction that
    stays open around those tests — each test's own transaction (``django_db``, never
    ``transaction=True``) is a savepoint in it, rolled back after the test as usual, so each test
    starts from the same rows — and is rolled back after the last. The shipped instruments are
    restored first, as ``shipped_instruments`` does for each test."""
    from django.db import transaction

    from screening.loader import SHIPPED_FILES, load_instruments
    from screening.models import Instrument

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock():
            load_instruments(Instrument, list(SHIPPED_FILES))
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def login(client, user):
    """Log in through the real login form path (axes needs a request)."""
    client.force_login(user)
    return client


@pytest.fixture
def celery_broker(settings):
    """Tasks go to a real broker (Redis database 12), not eagerly; see tests/workers.py. Yields a
    Redis client of that database."""
    from tests import workers

    # Celery's conf reads Django's settings live: save it (in use_test_broker) BEFORE the setting
    # changes, or the "saved" value is already False and eager mode stays off for every later test.
    broker = workers.use_test_broker()
    client = next(broker)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield client
    finally:
        broker.close()  # the generator's finally restores the conf and empties the broker


@pytest.fixture
def start_celery_worker(celery_broker, tmp_path):
    """A factory: ``start_celery_worker()`` starts a real worker subprocess exactly as `make run`
    does (``scripts/run.py::worker_argv``) on the test broker and database, and waits until it
    answers; every worker started is stopped after the test. Use with
    ``django_db(transaction=True)`` (or ``live_server``) so that the worker sees the test's rows."""
    from tests import workers

    starter = workers.WorkerStarter(tmp_path)
    try:
        yield starter
    finally:
        starter.stop_all()


@pytest.fixture
def two_factor_on(settings):
    """The second factor enforced, as in every setting but the tests' (mhcare.settings.test turns
    it off so that force_login sessions and the browser tests' logins of county+ users go on)."""
    settings.TWO_FACTOR_ENFORCED = True
    return settings


def totp_code(device, steps_ahead=0):
    """The code ``device`` accepts now (``steps_ahead`` 30 s steps later: django-otp refuses a
    code twice, so a second verification in a test uses the next step's)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def verified_login(client, user):
    """force_login plus a session verified by a (made if missing) TOTP device, as after a real
    second step: for tests that run with ``two_factor_on``."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from mhcare.accounts.models import EncryptedTOTPDevice as TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
