"""The pages, one router per area; ``web.app.create_app`` includes them all."""

from __future__ import annotations

from pepflow.web.routes import (account, admissions, attendance, child, children, compliance, council_sign_in, decisions, delegations, emails, exclusions, health,
               lookups, my_work, passwords, pep_document, people, peps, pp_plus, records, second_factor, your_account)

ROUTERS = [account.router, second_factor.router, council_sign_in.router, my_work.router, peps.router, children.router, child.router, admissions.router,
           exclusions.router, compliance.router, decisions.router, emails.router, your_account.router,
           people.router, passwords.router, lookups.router, pep_document.router, pp_plus.router, attendance.router, records.router, delegations.router, health.router]
