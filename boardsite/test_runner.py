import logging
import os
import tempfile
import unittest
import warnings
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from channels.layers import channel_layers
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test.runner import DiscoverRunner
from django.test.utils import override_settings

from boardsite.secret_key import use_a_fresh_key_for_this_run


def give_a_forked_process_its_own_sync_thread():
    """
    asgiref runs thread-sensitive sync code called from outside any request
    or async_to_sync (a websocket consumer's `database_sync_to_async` under
    daphne, a test's `asyncio.run`) in one executor for the whole process,
    `SyncToAsync.single_thread_executor`. The browser tests' live server is
    forked from this process: once that executor's thread has run here, the
    child inherits the executor without the thread, and it never starts
    another, so every such call in the live server waits for ever. The
    child gets a fresh executor instead (as boardsite.collab.changes does for
    its SQLite writer). Only test runs fork a server; daphne does not.
    """
    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)


os.register_at_fork(after_in_child=give_a_forked_process_its_own_sync_thread)


class QuickPasswordHasher(PBKDF2PasswordHasher):
    """
    PBKDF2 at one iteration, for test runs only: at Django's million, every
    user a test made cost nearly half a second of CPU, most of the suite's
    time. Not MD5 (what Django's docs suggest for tests): a hash
    keeps PBKDF2's format with its iteration count, so the daphne processes
    that some tests start with the production settings still accept these
    passwords at login (and rehash them there, as for any outdated hash).
    """

    iterations = 1


class FreshChannelLayerResult(unittest.TextTestResult):
    """
    Gives every test a channel layer of its own. Async tests each run in an
    event loop of their own, and channels-redis keeps locks bound to the loop
    that used them: a receive left pending when one test's loop ended would
    make the next test's receives fail ("bound to a different event loop").
    """

    def startTest(self, test):
        channel_layers.backends.clear()
        super().startTest(test)


class BoardsiteTestRunner(DiscoverRunner):
    """
    Django's runner, plus: a random SECRET_KEY unless one is set, static files served from the finders (tests never
    run collectstatic), a quick password hasher, a SQLite test database that
    does not wait for the disk at every commit, expected 4xx log lines kept
    out of the output, a channel layer of its own for each test, a line
    saying which services this run uses and a plain count line at the end.
    """

    def setup_test_environment(self, **kwargs):
        super().setup_test_environment(**kwargs)
        # Servers that tests start run with DEBUG off, which refuses the development key.
        use_a_fresh_key_for_this_run()
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        self.quick_hasher = override_settings(PASSWORD_HASHERS=["boardsite.test_runner.QuickPasswordHasher"])
        self.quick_hasher.enable()
        # Uploaded files go to a directory of this run's, for it and the servers it starts.
        self.media_root = tempfile.TemporaryDirectory(prefix="boardsite-test-media-")
        settings.MEDIA_ROOT = os.environ["MEDIA_ROOT"] = self.media_root.name
        self.skip_sqlite_fsync()
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
        self.log(f"Boardsite tests: database {database}, channel layer {layer}")

    def teardown_test_environment(self, **kwargs):
        self.quick_hasher.disable()
        self.media_root.cleanup()
        super().teardown_test_environment(**kwargs)

    @staticmethod
    def skip_sqlite_fsync():
        """
        The SQLite test database (WAL) with synchronous=NORMAL: a commit is
        then safe from a crash of the process, not of the machine, and no
        longer waits for an fsync (4 ms each on the development machine,
        and the fuzz tests alone commit thousands of times). The live
        server's process, forked from this one, connects with the same
        options.
        """
        database = settings.DATABASES["default"]
        if database["ENGINE"] == "django.db.backends.sqlite3":
            options = database.setdefault("OPTIONS", {})
            options["init_command"] = options.get("init_command", "").rstrip("; ") + "; PRAGMA synchronous=NORMAL;"

    def get_resultclass(self):
        return super().get_resultclass() or FreshChannelLayerResult

    def run_suite(self, suite, **kwargs):
        # Importing the ASGI application (tests.support does) runs django.setup()
        # and reconfigures logging, so quieten here the lines tests provoke on
        # purpose (4xx/503 responses, connects, refused clients, wrong passwords).
        for name in ("django.request", "django.security.csrf", "boardsite", "whiteboard", "kanban", "axes"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        return super().run_suite(suite, **kwargs)

    def suite_result(self, suite, result, **kwargs):
        # A test with failing subtests is one failed test, not one per subtest.
        failed = len({getattr(test, "test_case", test).id() for test, _ in (*result.failures, *result.errors)})
        failed += len(result.unexpectedSuccesses)
        skipped = len(result.skipped)
        passed = result.testsRun - failed - skipped - len(result.expectedFailures)
        self.log(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
        return super().suite_result(suite, result, **kwargs)
