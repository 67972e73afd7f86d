"""The bus's wake-up of the websocket processes (``NOTIFY imbus``), on a connection each Odoo
process keeps.

After a commit that wrote bus messages, Odoo's bus (``addons/bus/models/bus.py``) sends ``NOTIFY
imbus`` on the ``postgres`` database, where its websocket processes listen, through a new connection
every time: Odoo's pool never keeps a connection to that database, so PostgreSQL starts and ends a
backend for each notification. The pop notifies the agent's call banner on every call, and that
connection was the pop's costliest step after its own writes (a seventh of its time in a profile).
:func:`take_over_notify` has a transaction's notification sent on one connection per Odoo process,
kept open (as the websocket process keeps its own to listen), with the bus's own payloads and notify
function; on any error on it, through Odoo's own way, so a notification is never lost. Plain Python
and psycopg2: no ORM.
"""

import logging
import os
import threading

import psycopg2

import odoo.sql_db
from odoo.tools import SQL
from odoo.tools.misc import OrderedSet

from odoo.addons.bus.models.bus import ODOO_NOTIFY_FUNCTION, get_notify_payloads

_logger = logging.getLogger(__name__)

# Where bus.bus._sendone collects the transaction's channels for its notification after the commit
# (its postcommit data): the bus registers its own notification only when the key is not there yet.
CHANNELS_KEY = 'bus.bus.channels'

_lock = threading.Lock()
_kept = {'pid': None, 'connection': None}


def take_over_notify(cr):
    """Have the notification of the bus messages of ``cr``'s transaction sent, after its commit, on
    this process's kept connection: call it before ``bus.bus._sendone``. Nothing changes when the
    bus already registered its own notification in this transaction (it then sends every channel of
    it, this one's too)."""
    if CHANNELS_KEY in cr.postcommit.data:
        return
    cr.postcommit.data[CHANNELS_KEY] = OrderedSet()

    @cr.postcommit.add
    def notify():
        send(get_notify_payloads(list(cr.postcommit.data.pop(CHANNELS_KEY, ()))))


def send(payloads):
    """``NOTIFY imbus`` with each of ``payloads`` (the bus's JSON lists of channels), on the kept
    connection; through Odoo's own new connection when that one fails."""
    if not payloads:
        return
    queries = [
        SQL("SELECT %s('imbus', %s)", SQL.identifier(ODOO_NOTIFY_FUNCTION), payload)
        for payload in payloads
    ]
    with _lock:
        try:
            with _connection().cursor() as cr:
                for query in queries:
                    cr.execute(query.code, query.params)
            return
        except psycopg2.Error as error:
            _logger.info(
                "The kept connection for the bus's notifications failed (%s): opening a new one",
                error,
            )
            _forget(close=True)
    with odoo.sql_db.db_connect('postgres').cursor() as cr:
        for query in queries:
            cr.execute(query)


def _connection():
    """This process's connection to the ``postgres`` database (autocommit), opened on first use. A
    connection a forked worker inherited from its parent is the parent's: forgotten there, never
    closed."""
    if _kept['pid'] != os.getpid():
        _forget(close=False)
    if _kept['connection'] is None or _kept['connection'].closed:
        _dbname, info = odoo.sql_db.connection_info_for('postgres')
        connection = psycopg2.connect(**info)
        connection.autocommit = True
        _kept.update(pid=os.getpid(), connection=connection)
    return _kept['connection']


def _forget(close):
    connection = _kept['connection']
    _kept.update(pid=None, connection=None)
    if close and connection is not None and not connection.closed:
        try:
            connection.close()
        except psycopg2.Error as error:
            _logger.debug(
                "Closing the kept connection for the bus's notifications failed: %s", error
            )
