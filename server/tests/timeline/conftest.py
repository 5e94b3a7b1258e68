"""Rows for the timeline, written straight into the tables the other features fill."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest

_seq = itertools.count(1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture()
def add(db):
    """add.call(customer, at, turns=[(transcript, reply)]), add.msg(...), add.task(...), ..."""
    from server.models import CallLog, CallTurn, Contract, Invoice, Task, WhatsAppMsg

    class Add:
        @staticmethod
        def call(customer, at, turns=(), **fields):
            n = next(_seq)
            call = CallLog(call_sid=f"CA{n:032d}", business_id=customer.business_id, customer_id=customer.id,
                           from_number=customer.phone, to_number="+97233720000", status="completed",
                           started_at=at, **fields)
            for i, (said, answered) in enumerate(turns):
                call.turns.append(CallTurn(index=i, transcript=said, reply=answered,
                                           audio_url=f"/media/tts/{n}-{i}.mp3"))
            db.session.add(call)
            db.session.commit()
            return call

        @staticmethod
        def msg(customer, at, body="שלום", direction="inbound", status="delivered", **fields):
            msg = WhatsAppMsg(business_id=customer.business_id, customer_id=customer.id, direction=direction,
                              status=status, provider="dev", body=body, created_at=at,
                              provider_message_id=f"wamid.{next(_seq)}", **fields)
            db.session.add(msg)
            db.session.commit()
            return msg

        @staticmethod
        def task(customer, due_at=None, title="להתקשר ללקוח", created_at=None, **fields):
            task = Task(business_id=customer.business_id, customer_id=customer.id, title=title, due_at=due_at,
                        **({"created_at": created_at} if created_at else {}), **fields)
            db.session.add(task)
            db.session.commit()
            return task

        @staticmethod
        def invoice(customer, issued_at=None, amount_agorot=10_000, created_at=None, **fields):
            status = "issued" if issued_at else "draft"
            invoice = Invoice(business_id=customer.business_id, customer_id=customer.id, status=status,
                              amount_agorot=amount_agorot, vat_rate_bp=1800, vat_agorot=amount_agorot * 18 // 100,
                              total_agorot=amount_agorot + amount_agorot * 18 // 100, issued_at=issued_at,
                              invoice_date=issued_at, **({"created_at": created_at} if created_at else {}), **fields)
            db.session.add(invoice)
            db.session.commit()
            return invoice

        @staticmethod
        def contract(customer, signed_at=None, title="חוזה שירות", created_at=None, **fields):
            contract = Contract(business_id=customer.business_id, customer_id=customer.id, title=title,
                                status="signed" if signed_at else "draft", signed_at=signed_at,
                                **({"created_at": created_at} if created_at else {}), **fields)
            db.session.add(contract)
            db.session.commit()
            return contract

    return Add()


@pytest.fixture()
def staff_customer(login_as, make_customer):
    """A staff user logged in on `client`, and a customer of their business."""
    user = login_as("staff")
    return make_customer(user.business)
