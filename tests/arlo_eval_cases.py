"""The evaluation set: instructions as a busy founder types them, each with what must happen.

``W(text, {record: {field: value}})`` — these fields change on these records, and nothing else anywhere;
a note value starting with "+" is the entry appended (dated) to what was there.
``Q(text, *parts)`` — arlo asks (the question contains ``parts``) and writes nothing.
``N(text, record, says)`` / ``T(text, record, title, due)`` — a new note (its text contains ``says``) or a
new task (that title, due that day or None) linked to ``record``, and nothing else anywhere.

Records are named as the cockpit shows them (deals with " — "). The demo data is the test demo
(tests/conftest.py, FIXED_NOW = Fri 2026-11-20) plus the records of ``EXTRA`` (tests/test_arlo_eval.py).
Stages of BezelIQ: Prospect, Qualify, Demo, Proposal, Negotiation, Closed won, Onboarding (no lost stage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    text: str
    writes: dict[str, dict[str, Any]] = field(default_factory=dict)
    asks: tuple[str, ...] = ()
    question: bool = False
    deal_terms: bool = False
    creates: tuple[tuple[str, str, str, str | None], ...] = ()   # (view, record, text, due)


def W(text: str, writes: dict[str, dict[str, Any]]) -> Case:  # noqa: N802
    terms = any(f in ("amount", "currency", "close_date", "name") for w in writes.values() for f in w)
    return Case(text, writes, deal_terms=terms)


def Q(text: str, *asks: str) -> Case:  # noqa: N802
    return Case(text, asks=asks, question=True)


def N(text: str, record: str, says: str) -> Case:  # noqa: N802
    return Case(text, creates=(("crm_notes", record, says, None),))


def T(text: str, record: str, title: str, due: str | None) -> Case:  # noqa: N802
    return Case(text, creates=(("crm_tasks", record, title, due),))


VOLTA, ACME, MERIDIAN = "Volta Energy — Pilot", "Acme — Fleet Analytics", "Meridian Health — Platform"
BRIGHT = "Brightline — Route Optimizer"

CASES: list[Case] = [
    # --- the sentences that were applied wrongly -------------------------------------------
    Q("Move Stanton Logistics to Closed Lost", "no lost stage", "Proposal", "Closed won"),
    W("Mark the York & Blake pilot as a priority", {"York & Blake — Pilot": {"priority": "high"}}),
    W("Volta deal is worth 80k now, not 65k", {VOLTA: {"amount": 80000}}),
    # --- the seed's sentences ------------------------------------------------------------------------
    W("The Acme deal is stalled — budget freeze until Q3, recontact in July",
      {ACME: {"strategy_note": "+Stalled — budget freeze until Q3", "recontact_at": "2027-07-01"}}),
    W("Mark Sarah at Meridian as a priority — strong champion, CFO relationship",
      {"Sarah Chen": {"relationship_note": "+Strong champion, CFO relationship"}}),
    W("Move the Volta deal to Negotiation", {VOLTA: {"stage_id": "NEGOTIATE"}}),
    # --- moves ----------------------------------------------------------------------------------------
    W("Move Volta Energy — Pilot to Negotiation", {VOLTA: {"stage_id": "NEGOTIATE"}}),
    W("Volta -> negotiation", {VOLTA: {"stage_id": "NEGOTIATE"}}),
    W("volta → Negotiation", {VOLTA: {"stage_id": "NEGOTIATE"}}),
    W("Hamilton Labs is in negotiation now", {"Hamilton Labs — Platform": {"stage_id": "NEGOTIATE"}}),
    W("We signed Macdonald Analytics today", {"Macdonald Analytics — Expansion": {"stage_id": "CLOSE"}}),
    W("move the voltta deal to negotiatoin", {VOLTA: {"stage_id": "NEGOTIATE"}}),
    W("Put Simon Systems — Expansion in proposl", {"Simon Systems — Expansion": {"stage_id": "PROPOSAL"}}),
    W("push meridian to proposal", {MERIDIAN: {"stage_id": "PROPOSAL"}}),
    W("Advance Brightline to demo", {BRIGHT: {"stage_id": "DEMO"}}),
    W("brightline -> Demo pls", {BRIGHT: {"stage_id": "DEMO"}}),
    W("Acme is in negotiation", {ACME: {"stage_id": "NEGOTIATE"}}),
    W("Acme moved to negotiation", {ACME: {"stage_id": "NEGOTIATE"}}),
    W("Move Acme — Fleet Analytics to Negotiation, we're close", {ACME: {"stage_id": "NEGOTIATE"}}),
    W("Hawkins LLC — Analytics -> qualify", {"Hawkins LLC — Analytics": {"stage_id": "QUALIFY"}}),
    W("move hawkins to qualified", {"Hawkins LLC — Analytics": {"stage_id": "QUALIFY"}}),
    W("English & Solis to demo", {"English & Solis — Expansion": {"stage_id": "DEMO"}}),
    W("English and Solis -> demo", {"English & Solis — Expansion": {"stage_id": "DEMO"}}),
    W("Harrington Group — Pilot: move to Qualify", {"Harrington Group — Pilot": {"stage_id": "QUALIFY"}}),
    W("Harrington pilot is in discovery", {"Harrington Group — Pilot": {"stage_id": "QUALIFY"}}),
    W("we signed Volta!", {VOLTA: {"stage_id": "CLOSE"}}),
    W("Volta signed", {VOLTA: {"stage_id": "CLOSE"}}),
    W("Meridian is closed won", {MERIDIAN: {"stage_id": "CLOSE"}}),
    W("won the Meridian deal", {MERIDIAN: {"stage_id": "CLOSE"}}),
    W("Move Implemented Encoding Labs — Renewal to Negotiation",
      {"Implemented Encoding Labs — Renewal": {"stage_id": "NEGOTIATE"}}),
    W("implemented encoding renewal -> negotiating", {"Implemented Encoding Labs — Renewal": {"stage_id": "NEGOTIATE"}}),
    W("Move Tran LLC — Platform to Proposal", {"Tran LLC — Platform": {"stage_id": "PROPOSAL"}}),
    W("tran platform -> proposal", {"Tran LLC — Platform": {"stage_id": "PROPOSAL"}}),
    W("Tran LLC — Integration closed won", {"Tran LLC — Integration": {"stage_id": "CLOSE"}}),
    W("Waller & Sherman — Analytics to negotiation", {"Waller & Sherman — Analytics": {"stage_id": "NEGOTIATE"}}),
    W("move the Ware Partners renewal to demo", {"Ware Partners — Renewal": {"stage_id": "DEMO"}}),
    W("Mercado Analytics — Integration -> qualify", {"Mercado Analytics — Integration": {"stage_id": "QUALIFY"}}),
    W("Move Realigned Support Logistics — Integration to Demo",
      {"Realigned Support Logistics — Integration": {"stage_id": "DEMO"}}),
    W("Stanton Logistics -> negotiation", {"Stanton Logistics — Pilot": {"stage_id": "NEGOTIATE"}}),
    W("York & Blake pilot to Demo", {"York & Blake — Pilot": {"stage_id": "DEMO"}}),
    W("Macdonald Analytics is in negotiation", {"Macdonald Analytics — Expansion": {"stage_id": "NEGOTIATE"}}),
    W("Move Hamilton Labs — Platform to Onboarding", {"Hamilton Labs — Platform": {"stage_id": "ONBOARD"}}),
    W("Profound Algorithm Analytics — Platform to Negotiation",
      {"Profound Algorithm Analytics — Platform": {"stage_id": "NEGOTIATE"}}),
    W("Move Organic Superstructure Inc — Pilot into proposal",
      {"Organic Superstructure Inc — Pilot": {"stage_id": "PROPOSAL"}}),
    W("Organic Superstructure pilot → Negotiation", {"Organic Superstructure Inc — Pilot": {"stage_id": "NEGOTIATE"}}),
    W("Horizontal Throughput Inc — Renewal -> Negotiation",
      {"Horizontal Throughput Inc — Renewal": {"stage_id": "NEGOTIATE"}}),
    # --- priority ------------------------------------------------------------------------------------
    W("Sarah Okafor is our champion at Brightline, make her high priority", {"Sarah Okafor": {"priority": "high"}}),
    W("Deprioritize Ware Partners", {"Ware Partners": {"priority": "low"}}),
    W("deprioritise the Hawkins deal", {"Hawkins LLC — Analytics": {"priority": "low"}}),
    W("Mark Tyler Boyer as high priority", {"Tyler Boyer": {"priority": "high"}}),
    W("make priya top priority", {"Priya Raman": {"priority": "high"}}),
    W("Priya Raman prority high", {"Priya Raman": {"priority": "high"}}),
    W("flag Volta as priority", {"Volta Energy": {"priority": "high"}}),
    W("flag the Volta deal as a priorty", {VOLTA: {"priority": "high"}}),
    W("Set Meridian Health priority to low", {"Meridian Health": {"priority": "low"}}),
    W("Meridian Health — Platform: low priority", {MERIDIAN: {"priority": "low"}}),
    W("Mark Dan Whitfield medium priority", {"Dan Whitfield": {"priority": "medium"}}),
    W("dan at acme is our champion", {"Dan Whitfield": {"priority": "high"}}),
    W("Tom Alvarez is the champion at Meridian", {"Tom Alvarez": {"priority": "high"}}),
    W("Acme Corp top priority", {"Acme Corp": {"priority": "high"}}),
    W("Prioritize Stanton Logistics", {"Stanton Logistics": {"priority": "high"}}),
    W("Hodges LLC low priority", {"Hodges LLC": {"priority": "low"}}),
    W("deprioritize devolved application systems", {"Devolved Application Systems": {"priority": "low"}}),
    W("make English & Solis — Expansion high priority", {"English & Solis — Expansion": {"priority": "high"}}),
    W("mark the Harrington pilot high prio", {"Harrington Group — Pilot": {"priority": "high"}}),
    W("Faith Melton at Hawkins is our main champion", {"Faith Melton": {"priority": "high"}}),
    W("Gary Stanton low priority", {"Gary Stanton": {"priority": "low"}}),
    W("Rodney Macdonald -> high priority", {"Rodney Macdonald": {"priority": "high"}}),
    W("york & blake deal top priority", {"York & Blake — Pilot": {"priority": "high"}}),
    W("Barry Inc — Integration is not a priority anymore", {"Barry Inc — Integration": {"priority": "low"}}),
    W("make Tran LLC — Pilot medium priority", {"Tran LLC — Pilot": {"priority": "medium"}}),
    # --- recontact -----------------------------------------------------------------------------------
    W("Remind me to ping Dan Whitfield next Tuesday", {"Dan Whitfield": {"recontact_at": "2026-11-24"}}),
    W("circle back with priya in a couple of weeks", {"Priya Raman": {"recontact_at": "2026-12-04"}}),
    W("follow up w/ Acme end of Q1", {"Acme Corp": {"recontact_at": "2027-03-31"}}),
    W("recontact Meridian in July", {"Meridian Health": {"recontact_at": "2027-07-01"}}),
    W("Recontact Dan at Acme in March", {"Dan Whitfield": {"recontact_at": "2027-03-01"}}),
    W("revisit Ware Partners — Renewal after the board meeting on Jan 12",
      {"Ware Partners — Renewal": {"recontact_at": "2027-01-13"}}),
    W("ping Tyler Boyer Feb 15th", {"Tyler Boyer": {"recontact_at": "2027-02-15"}}),
    W("follow up with Sarah Okafor march 3", {"Sarah Okafor": {"recontact_at": "2027-03-03"}}),
    W("Volta deal — circle back in 2 weeks", {VOLTA: {"recontact_at": "2026-12-04"}}),
    W("Hawkins: reconnect next month", {"Hawkins LLC": {"recontact_at": "2026-12-01"}}),
    W("remind me about Brightline — Route Optimizer on Monday", {BRIGHT: {"recontact_at": "2026-11-23"}}),
    W("check in with Faith Melton tomorrow", {"Faith Melton": {"recontact_at": "2026-11-21"}}),
    W("touch base with Tom Alvarez in 3 weeks", {"Tom Alvarez": {"recontact_at": "2026-12-11"}}),
    W("revisit Mercado Analytics in Q2", {"Mercado Analytics": {"recontact_at": "2027-04-01"}}),
    W("Recontact Volta Energy end of the month", {"Volta Energy": {"recontact_at": "2026-11-30"}}),
    W("follow-up with Priya Raman on 2027-01-15", {"Priya Raman": {"recontact_at": "2027-01-15"}}),
    W("ping meridian deal after the summer", {MERIDIAN: {"recontact_at": "2027-09-01"}}),
    W("circle back on the Acme deal early March", {ACME: {"recontact_at": "2027-03-01"}}),
    W("remind me to chase Marcia Tran next friday", {"Marcia Tran": {"recontact_at": "2026-11-27"}}),
    W("follow up Waller & Sherman — Analytics in 10 days", {"Waller & Sherman — Analytics": {"recontact_at": "2026-11-30"}}),
    W("Revisit Doyle Partners in January", {"Doyle Partners": {"recontact_at": "2027-01-01"}}),
    W("reconnect w Jeanne English mid january", {"Jeanne English": {"recontact_at": "2027-01-16"}}),
    W("Stanton Logistics: follow up in a month", {"Stanton Logistics": {"recontact_at": "2026-12-20"}}),
    W("nudge Rodney Macdonald next week", {"Rodney Macdonald": {"recontact_at": "2026-11-23"}}),
    W("recontact Simon Systems — Expansion 12/15", {"Simon Systems — Expansion": {"recontact_at": "2026-12-15"}}),
    # --- notes ---------------------------------------------------------------------------------------
    W("note to self: Priya prefers calls over email", {"Priya Raman": {"relationship_note": "+Priya prefers calls over email"}}),
    W("Volta Energy — Pilot note: legal review starts Monday", {VOLTA: {"strategy_note": "+Legal review starts Monday"}}),
    W("Note: Meridian wants SSO before signing — mention it on the next call",
      {"Meridian Health": {"strategy_note": "+Meridian wants SSO before signing — mention it on the next call"}}),
    W("Brightline deal is stalled — waiting on their IT review",
      {BRIGHT: {"strategy_note": "+Stalled — waiting on their IT review"}}),
    W("The Hawkins deal went cold", {"Hawkins LLC — Analytics": {"strategy_note": "+Went cold"}}),
    W("Acme deal is stuck — new VP Ops, budget reset",
      {ACME: {"strategy_note": "+Stuck — new VP Ops, budget reset"}}),
    W("Tyler Boyer — met at SaaStr, knows our CEO", {}),  # no instruction: asks (see below, Q)
    W("fyi Sarah Okafor is moving to the Austin office",
      {"Sarah Okafor": {"relationship_note": "+Sarah Okafor is moving to the Austin office"}}),
    W("Mark Faith Melton as a priority — she runs procurement",
      {"Faith Melton": {"priority": "high", "relationship_note": "+She runs procurement"}}),
    W("Harrington Group — Pilot is at risk — champion left",
      {"Harrington Group — Pilot": {"strategy_note": "+At risk — champion left"}}),
    # --- deal terms ----------------------------------------------------------------------------------
    W("Frederick LLC — Integration worth 120k, close date march 3",
      {"Frederick LLC — Integration": {"amount": 120000, "close_date": "2027-03-03"}}),
    W("Volta: 95k, closing Feb 15th", {VOLTA: {"amount": 95000, "close_date": "2027-02-15"}}),
    W("Bump Meridian to 150k", {MERIDIAN: {"amount": 150000}}),
    W("Meridian deal size 130,000", {MERIDIAN: {"amount": 130000}}),
    W("Acme Fleet Analytics is worth €40k", {ACME: {"amount": 40000, "currency": "EUR"}}),
    W("Hawkins deal worth 90k", {"Hawkins LLC — Analytics": {"amount": 90000}}),
    W("Brightline close date end of Q1", {BRIGHT: {"close_date": "2027-03-31"}}),
    W("Meridian should close by Jan 12th", {MERIDIAN: {"close_date": "2027-01-12"}}),
    W("Volta deal: expected close next month", {VOLTA: {"close_date": "2026-12-01"}}),
    W("York & Blake pilot worth $45,000", {"York & Blake — Pilot": {"amount": 45000}}),  # already USD
    W("Stanton Logistics deal is worth 30k now", {"Stanton Logistics — Pilot": {"amount": 30000}}),
    W("Tran LLC — Pilot amount 80000", {"Tran LLC — Pilot": {"amount": 80000}}),
    W("English & Solis expansion closes end of Q2", {"English & Solis — Expansion": {"close_date": "2027-06-30"}}),
    W("Harrington pilot value 50k, close date April 30",
      {"Harrington Group — Pilot": {"amount": 50000, "close_date": "2027-04-30"}}),
    W("Volta is worth 1.2m", {VOLTA: {"amount": 1200000}}),
    # --- several intents in one sentence ---------------------------------------------------------------
    W("Move Volta to Negotiation and mark Priya Raman high priority",
      {VOLTA: {"stage_id": "NEGOTIATE"}, "Priya Raman": {"priority": "high"}}),
    W("Volta Energy — Pilot: move it to Negotiation, recontact next Tuesday",
      {VOLTA: {"stage_id": "NEGOTIATE", "recontact_at": "2026-11-24"}}),
    W("Acme deal is stalled — budget freeze until Q3 — move it to Proposal",
      {ACME: {"strategy_note": "+Stalled — budget freeze until Q3"}}),
    W("mark Tyler Boyer top priority, follow up friday",
      {"Tyler Boyer": {"priority": "high", "recontact_at": "2026-11-27"}}),
    W("Meridian -> negotiation, worth 140k, close end of Q1",
      {MERIDIAN: {"stage_id": "NEGOTIATE", "amount": 140000, "close_date": "2027-03-31"}}),
    W("Brightline to demo and ping Sarah Okafor next week",
      {BRIGHT: {"stage_id": "DEMO"}, "Sarah Okafor": {"recontact_at": "2026-11-23"}}),
    W("Hamilton Labs is in negotiation now, high priority",
      {"Hamilton Labs — Platform": {"stage_id": "NEGOTIATE", "priority": "high"}}),
    W("Deprioritize the Ware Partners renewal and recontact them in Q2",
      {"Ware Partners — Renewal": {"priority": "low", "recontact_at": "2027-04-01"}}),
    W("We signed Macdonald Analytics today — onboarding kickoff next week",
      {"Macdonald Analytics — Expansion": {"stage_id": "CLOSE", "strategy_note": "+Onboarding kickoff next week"}}),
    W("Move the York & Blake pilot to Proposal; note: they want a 3 month trial",
      {"York & Blake — Pilot": {"stage_id": "PROPOSAL", "strategy_note": "+They want a 3 month trial"}}),
    W("harrington pilot -> demo, follow up in 2 weeks",
      {"Harrington Group — Pilot": {"stage_id": "DEMO", "recontact_at": "2026-12-04"}}),
    W("Sarah Chen low priority and circle back with Tom Alvarez in January",
      {"Sarah Chen": {"priority": "low"}, "Tom Alvarez": {"recontact_at": "2027-01-01"}}),
    W("Mercado Analytics — Integration to proposal, worth 150k",
      {"Mercado Analytics — Integration": {"stage_id": "PROPOSAL", "amount": 150000}}),
    W("stanton logistics deal -> demo & make it high priority",
      {"Stanton Logistics — Pilot": {"stage_id": "DEMO", "priority": "high"}}),
    # --- questions: arlo must ask and write nothing -----------------------------------------------------
    Q("Mark Sarah as a priority", "Sarah Chen", "Sarah Okafor"),
    Q("ping Alex next week", "Alex Hanson", "Alex Lynn"),
    Q("Move Osborn Energy pilot to demo", "Osborn Energy — Pilot"),
    Q("We signed Tran LLC", "Tran LLC — Analytics", "Tran LLC — Pilot"),
    Q("Move Conway Logistics to Closed Lost", "no lost stage"),
    Q("Acme deal is dead", "no lost stage"),
    Q("we lost Meridian", "no lost stage"),
    Q("Volta is dead in the water", "no lost stage"),
    Q("Move the Volta deal to Banana Town", "No stage matches", "Negotiation"),
    Q("Move the Zorblax deal to Negotiation", "couldn't find", "Zorblax"),
    Q("Mark Kevin Zebulon as high priority", "couldn't find"),
    Q("The Acme deal is stalled, recontact in blorptember", "couldn't read"),
    Q("purple monkey dishwasher", "couldn't tell"),
    Q("Set open count for Sarah Chen to 5", "open count is measured by arlo"),
    Q("update Priya Raman linkedin url to linkedin.com/in/priya", "LinkedIn URL"),
    Q("change the industry of Volta Energy to Utilities", "industry"),
    Q("Tyler Boyer — met at SaaStr, knows our CEO", "no instruction"),
    Q("recontact Sarah Okafor", "When should I recontact"),
    Q("follow up with Volta", "When should I recontact"),
    Q("Move Doyle Partners — Expansion to Proposal", "Doyle Partners — Expansion"),
    Q("mark Gary high priority", "Gary Boone", "Gary Stanton"),
    Q("Jonathon -> high priority", "Jonathon Braun", "Jonathon Gentry"),
    Q("Move Frederick LLC to Negotiation", "Frederick LLC — Analytics", "Frederick LLC — Integration"),
    Q("Waller & Sherman — Platform is in negotiation", "Waller & Sherman — Platform"),
    Q("Osborn Energy — Renewal: recontact next Tuesday", "Osborn Energy — Renewal"),
    Q("move Cloned Array Analytics to demo", "Cloned Array Analytics — Analytics"),
    Q("the Tran deal is worth 50k", "Tran LLC"),
    Q("Move Meridian to Lost", "no lost stage"),
    Q("mark Dillon as priority", "Dillon Fry", "Dillon Owen"),
    Q("ping pam in 2 weeks", "Pam Boyer", "Pam Carson"),
    Q("Horizontal Throughput Inc — Integration -> demo", "Horizontal Throughput Inc — Integration"),
    Q("Volta -> churned", "no lost stage"),
]
# --- a second batch, written after the parser was tuned on the first ---------------------------------
CASES += [
    W("pls move Meridian Health — Platform to Proposal asap", {MERIDIAN: {"stage_id": "PROPOSAL"}}),
    W("Meridian moved into negotiations", {MERIDIAN: {"stage_id": "NEGOTIATE"}}),
    W("Brightline — Route Optimizer → Proposal", {BRIGHT: {"stage_id": "PROPOSAL"}}),
    W("hamilton labs is in proposal stage", {"Hamilton Labs — Platform": {"stage_id": "PROPOSAL"}}),
    W("we closed the York & Blake pilot!!", {"York & Blake — Pilot": {"stage_id": "CLOSE"}}),
    W("Stanton Logistics — Pilot: signed", {"Stanton Logistics — Pilot": {"stage_id": "CLOSE"}}),
    W("Put the Hawkins deal back to prospect... no wait, qualify", {"Hawkins LLC — Analytics": {"stage_id": "QUALIFY"}}),
    W("flag Priya Raman as hi priority", {"Priya Raman": {"priority": "high"}}),
    W("Faith Melton: low prio", {"Faith Melton": {"priority": "low"}}),
    W("mark Simon Systems — Expansion medium priority", {"Simon Systems — Expansion": {"priority": "medium"}}),
    W("Sarah Okafor is our champion", {"Sarah Okafor": {"priority": "high"}}),
    W("make Macdonald Analytics a priority account", {"Macdonald Analytics": {"priority": "high"}}),
    W("circle back w/ Dan Whitfield in 2 wks", {"Dan Whitfield": {"recontact_at": "2026-12-04"}}),
    W("ping Tom Alvarez on the 15th", {"Tom Alvarez": {"recontact_at": "2026-12-15"}}),
    W("remind me to follow up with Faith Melton after Thanksgiving", {"Faith Melton": {"recontact_at": "2026-11-27"}}),
    W("follow up with hawkins in a few days", {"Hawkins LLC": {"recontact_at": "2026-11-23"}}),
    W("recontact the Volta deal Q1 2027", {VOLTA: {"recontact_at": "2027-01-01"}}),
    W("reach out to Jeanne English next Wed", {"Jeanne English": {"recontact_at": "2026-11-25"}}),
    W("Acme — Fleet Analytics: close date 2027-05-31", {ACME: {"close_date": "2027-05-31"}}),
    W("the meridian deal is now 135k", {MERIDIAN: {"amount": 135000}}),
    W("Hamilton Labs deal worth 60k, closing end of Feb",
      {"Hamilton Labs — Platform": {"amount": 60000, "close_date": "2027-02-28"}}),
    W("note to self - Tom Alvarez hates long decks", {"Tom Alvarez": {"relationship_note": "+Tom Alvarez hates long decks"}}),
    W("Volta is stalled — Priya on leave until January",
      {VOLTA: {"strategy_note": "+Stalled — Priya on leave until January"}}),
    W("Move York & Blake — Pilot to Negotiation and ping them next Monday",
      {"York & Blake — Pilot": {"stage_id": "NEGOTIATE", "recontact_at": "2026-11-23"}}),
    W("Harrington Group — Pilot -> Proposal, high priority, follow up Dec 10",
      {"Harrington Group — Pilot": {"stage_id": "PROPOSAL", "priority": "high", "recontact_at": "2026-12-10"}}),
    Q("Move Waller & Sherman to proposal", "Waller & Sherman — Analytics"),
    Q("mark Raven high priority", "Raven Mcclain", "Raven Stokes"),
    Q("Move Volta to Closed", ),
    Q("Acme -> lost", "no lost stage"),
    Q("move Brightline to the parking lot", "No stage matches"),
    Q("set Sarah Chen's last activity to yesterday", "last activity"),
    Q("ping Lindsay tomorrow", "Lindsay Moss", "Lindsay Summers"),
    Q("Osborn Energy -> demo", "Osborn Energy"),
    Q("Mark Zed Corp as priority", "couldn't find"),
    Q("Volta Energy — Pilot", "couldn't tell"),
]
# --- traps: names inside names, a person for a deal, half-understood sentences ----------------------------
CASES += [
    Q("Move Gary Stanton to Negotiation", "Profound Algorithm Analytics — Platform"),
    W("Move Priya Raman to Negotiation", {VOLTA: {"stage_id": "NEGOTIATE"}}),
    W("Sarah at Brightline high priority", {"Sarah Okafor": {"priority": "high"}}),
    Q("Sarah at Acme high priority", "couldn't find"),
    W("move volta to proposal", {}),
    Q("Mark Energy as priority", "couldn't find"),
    Q("Move the pilot to Negotiation", "couldn't find"),
    Q("Move Pilot to Negotiation", "Which deal"),
    W("Chase Acme next week", {"Acme Corp": {"recontact_at": "2026-11-23"}}),
    Q("Ware -> negotiation", "Ware Partners — Analytics", "Ware Partners — Renewal"),
    W("set Volta priority to urgent", {"Volta Energy": {"priority": "high"}}),
    W("Volta Energy — Pilot: no longer a priority", {VOLTA: {"priority": "low"}}),
    Q("make volta high priority and sarah chen whatever", "sarah chen whatever"),
    Q("Move Stanton to closed-lost", "no lost stage"),
    Q("Gary Stanton's deal -> Closed Lost", "no lost stage"),
    Q("mark Meridian Health — Platform as lost", "no lost stage"),
    W("Move Macdonald Analytics — Expansion to Closed won", {"Macdonald Analytics — Expansion": {"stage_id": "CLOSE"}}),
    Q("Rodney -> negotiation", "couldn't find"),
    W("York & Blake: high priority", {"York & Blake": {"priority": "high"}}),
    Q("Blake pilot -> demo", "couldn't find"),
    Q("Meridian deal is worth 130 now", "worth 120,000 now", "130,000"),
    W("Meridian deal is worth 125,500", {MERIDIAN: {"amount": 125500}}),
]
# --- notes and tasks (Twenty's Notes and Tasks on the record) -------------------------------------------
CASES += [
    N("note on Acme: call went well, wants pricing", "Acme Corp", "Call went well, wants pricing"),
    N("Note on the Volta deal: legal review starts Monday", VOLTA, "Legal review starts Monday"),
    N("add a note to Priya Raman: prefers calls after 4pm", "Priya Raman", "Prefers calls after 4pm"),
    N("log a note on Meridian Health — Platform - security questionnaire sent", MERIDIAN,
      "Security questionnaire sent"),
    N("note for Sarah at Brightline: moving to the Austin office in January", "Sarah Okafor",
      "Moving to the Austin office in January"),
    N("quick note on Hawkins LLC — their CFO joined the call, wants a 2-year deal", "Hawkins LLC",
      "Their CFO joined the call, wants a 2-year deal"),
    T("remind me to send the contract to Sarah Chen on Friday", "Sarah Chen", "Send the contract to Sarah Chen",
      "2026-11-27"),
    T("remind me to send pricing to Acme Corp by next Tuesday", "Acme Corp", "Send pricing to Acme Corp", "2026-11-24"),
    T("task: prepare the QBR deck for the Volta deal in 2 weeks", VOLTA, "Prepare the QBR deck for the Volta deal",
      "2026-12-04"),
    T("create a task to review the security questionnaire from Hawkins LLC tomorrow", "Hawkins LLC",
      "Review the security questionnaire from Hawkins LLC", "2026-11-21"),
    T("Remind me to get the signed NDA back from Priya Raman on Dec 3", "Priya Raman",
      "Get the signed NDA back from Priya Raman", "2026-12-03"),
    T("todo: book the onsite with Tom Alvarez next Wednesday", "Tom Alvarez", "Book the onsite with Tom Alvarez",
      "2026-11-25"),
    T("task: chase the PO from Volta Energy — Pilot on Monday", VOLTA, "Chase the PO from Volta Energy — Pilot",
      "2026-11-23"),
    Q("remind me to send the contract to Sarah on Friday", "Which", "Sarah Chen", "Sarah Okafor"),
    Q("note on Sarah: loves the product", "Sarah Chen", "Sarah Okafor"),
    Q("remind me to send the deck to Volta Energy", "due"),
    Q("task: renew the NDA", "Which contact, company or deal"),
    Q("note on Zorblax Industries: they want pricing", "couldn't find", "Zorblax"),
    Q("remind me to send the proposal to Alex tomorrow", "Alex Hanson", "Alex Lynn"),
]
# The no-instruction note above is a question, not a write: keep one entry per sentence.
CASES = [c for c in CASES if not (c.text == "Tyler Boyer — met at SaaStr, knows our CEO" and not c.question)]
