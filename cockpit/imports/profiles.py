"""Export layouts of the tools people move from, recognised by their header sets.

A profile maps a tool's headers (normalized: lower case, runs of other characters as ``_``) to canonical
fields, in order of preference (the first present header claims a field; later ones for the same field
are ignored, their values kept in the raw row). ``"ignore"`` marks the tool's bookkeeping columns. In a
recognised file, a column the profile does not name is one the cockpit has no field for: ignored, with
a note. Where a header means something other than its plain word, the profile says so: Outlook's
``Title`` is a salutation (Mr., Dr.), Salesforce's ``Salutation`` too, while its ``Title`` is the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IGNORE = "ignore"


@dataclass(frozen=True)
class Profile:
    name: str
    label: str
    marks: tuple[frozenset[str], ...]            # any one set, wholly present, recognises the profile
    columns: dict[str, str]                      # normalized header -> field | "ignore"
    notes: dict[str, str] = field(default_factory=dict)  # normalized header -> why the profile maps it so
    prefix_share: str | None = None              # or: most headers start with this normalized prefix

    def matches(self, normed: set[str]) -> bool:
        if self.prefix_share:
            share = sum(1 for h in normed if h.startswith(self.prefix_share))
            if share * 2 >= len(normed) and share >= 2:
                return True
        return any(m <= normed for m in self.marks)


def _m(*sets: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(s.split()) for s in sets)


COCKPIT_CONTACTS = Profile(
    "cockpit_contacts", "RedKey Cockpit contacts export", _m("id client_id full_name email strategy_note"),
    {"first_name": "contact.first_name", "last_name": "contact.last_name", "full_name": "contact.full_name",
     "email": "contact.email", "phone": "contact.phone", "job_title": "contact.job_title", "city": "contact.city",
     "linkedin_url": "contact.linkedin_url", "company_name": "company.name", "company_domain": "company.domain"})

COCKPIT_COMPANIES = Profile(
    "cockpit_companies", "RedKey Cockpit companies export", _m("id client_id name domain employees strategy_note"),
    {"name": "company.name", "domain": "company.domain", "employees": "company.employees", "city": "company.city",
     "country": "company.country", "industry": "company.industry", "linkedin_url": "company.linkedin_url"})

TWENTY = Profile(
    "twenty_export", "Twenty people export", _m("emails_primary_email", "name_first_name name_last_name"),
    {"name_first_name": "contact.first_name", "name_last_name": "contact.last_name",
     "emails_primary_email": "contact.email", "phones_primary_phone_number": "contact.phone",
     "job_title": "contact.job_title", "city": "contact.city",
     "linkedin_primary_link_url": "contact.linkedin_url", "linkedin_link_primary_link_url": "contact.linkedin_url",
     "company_name": "company.name", "company": "company.name",
     "id": IGNORE, "created_at": IGNORE, "updated_at": IGNORE, "deleted_at": IGNORE, "position": IGNORE,
     "emails_additional_emails": IGNORE, "phones_primary_phone_country_code": IGNORE,
     "phones_primary_phone_calling_code": IGNORE, "phones_additional_phones": IGNORE, "avatar_url": IGNORE,
     "created_by_source": IGNORE, "created_by_name": IGNORE, "x_link_primary_link_url": IGNORE})

HUBSPOT = Profile(
    "hubspot", "HubSpot contacts export", _m("record_id contact_owner", "record_id associated_company",
                                             "record_id lifecycle_stage"),
    {"first_name": "contact.first_name", "last_name": "contact.last_name", "email": "contact.email",
     "phone_number": "contact.phone", "mobile_phone_number": "contact.phone", "job_title": "contact.job_title",
     "city": "contact.city", "linkedin_url": "contact.linkedin_url",
     "company_name": "company.name", "associated_company": "company.name",
     "website_url": "company.domain", "company_domain_name": "company.domain",
     "country_region": "company.country", "industry": "company.industry",
     "number_of_employees": "company.employees",
     "record_id": IGNORE, "contact_owner": IGNORE, "lifecycle_stage": IGNORE, "lead_status": IGNORE,
     "create_date": IGNORE, "last_activity_date": IGNORE, "primary_associated_company_id": IGNORE,
     "associated_company_ids": IGNORE, "marketing_contact_status": IGNORE},
    notes={"associated_company": "HubSpot's view export names the company 'Associated Company'"})

SALESFORCE_REPORT = Profile(
    "salesforce_report", "Salesforce report export",
    _m("account_name contact_owner", "account_name mailing_city", "company_account lead_owner",
       "company_account lead_source"),
    {"first_name": "contact.first_name", "last_name": "contact.last_name", "email": "contact.email",
     "phone": "contact.phone", "mobile": "contact.phone", "mobile_phone": "contact.phone",
     "title": "contact.job_title", "mailing_city": "contact.city", "city": "contact.city",
     "account_name": "company.name", "company_account": "company.name", "website": "company.domain",
     "mailing_country": "company.country", "country": "company.country", "industry": "company.industry",
     "employees": "company.employees",
     "salutation": IGNORE, "contact_owner": IGNORE, "account_owner": IGNORE, "lead_owner": IGNORE,
     "lead_source": IGNORE, "contact_id": IGNORE, "lead_id": IGNORE, "account_id": IGNORE,
     "created_date": IGNORE, "last_activity": IGNORE, "last_modified_date": IGNORE},
    notes={"title": "Salesforce's Title is the job title", "salutation": "a salutation (Mr., Dr.), not a job"})

SALESFORCE_API = Profile(
    "salesforce_data_export", "Salesforce Data Export (API names)",
    _m("id isdeleted firstname lastname", "id ownerid firstname lastname"),
    {"firstname": "contact.first_name", "lastname": "contact.last_name", "name": "contact.full_name",
     "email": "contact.email", "phone": "contact.phone", "mobilephone": "contact.phone",
     "title": "contact.job_title", "mailingcity": "contact.city", "city": "contact.city",
     "company": "company.name", "website": "company.domain", "mailingcountry": "company.country",
     "country": "company.country", "industry": "company.industry", "numberofemployees": "company.employees",
     "salutation": IGNORE, "id": IGNORE, "isdeleted": IGNORE, "masterrecordid": IGNORE, "accountid": IGNORE,
     "ownerid": IGNORE, "createddate": IGNORE, "createdbyid": IGNORE, "lastmodifieddate": IGNORE,
     "lastmodifiedbyid": IGNORE, "systemmodstamp": IGNORE, "lastactivitydate": IGNORE, "leadsource": IGNORE},
    notes={"title": "Salesforce's Title is the job title", "salutation": "a salutation (Mr., Dr.), not a job"})

PIPEDRIVE = Profile(
    "pipedrive", "Pipedrive people export", (), prefix_share="person_", columns={
        "person_name": "contact.full_name", "person_first_name": "contact.first_name",
        "person_last_name": "contact.last_name", "person_email_work": "contact.email",
        "person_email": "contact.email", "person_email_home": "contact.email", "person_email_other": "contact.email",
        "person_phone_work": "contact.phone", "person_phone": "contact.phone", "person_phone_mobile": "contact.phone",
        "person_phone_home": "contact.phone", "person_phone_other": "contact.phone",
        "person_job_title": "contact.job_title", "person_linkedin": "contact.linkedin_url",
        "person_organization": "company.name", "organization_name": "company.name",
        "organization_website": "company.domain", "organization_address_country": "company.country",
        "organization_industry": "company.industry", "organization_employee_count": "company.employees",
        "person_id": IGNORE, "person_owner": IGNORE, "person_label": IGNORE, "person_visible_to": IGNORE,
        "person_person_created": IGNORE, "person_update_time": IGNORE, "person_open_deals": IGNORE,
        "person_closed_deals": IGNORE, "person_next_activity_date": IGNORE, "person_last_activity_date": IGNORE,
        "organization_id": IGNORE})

GOOGLE = Profile(
    "google_contacts", "Google Contacts export", _m("e_mail_1_value", "phone_1_value given_name"),
    {"first_name": "contact.first_name", "given_name": "contact.first_name", "last_name": "contact.last_name",
     "family_name": "contact.last_name", "name": "contact.full_name", "e_mail_1_value": "contact.email",
     "phone_1_value": "contact.phone", "organization_name": "company.name", "organization_1_name": "company.name",
     "organization_title": "contact.job_title", "organization_1_title": "contact.job_title",
     "address_1_city": "contact.city", "address_1_country": "company.country",
     "website_1_value": "company.domain",
     "middle_name": IGNORE, "additional_name": IGNORE, "name_prefix": IGNORE, "name_suffix": IGNORE,
     "nickname": IGNORE, "file_as": IGNORE, "labels": IGNORE, "group_membership": IGNORE, "notes": IGNORE,
     "photo": IGNORE, "birthday": IGNORE},
    notes={"e_mail_1_value": "several addresses in one cell (' ::: ') import the first"})

OUTLOOK = Profile(
    "outlook", "Outlook contacts export", _m("e_mail_address job_title", "e_mail_address business_phone",
                                             "e_mail_address e_mail_display_name"),
    {"first_name": "contact.first_name", "last_name": "contact.last_name", "e_mail_address": "contact.email",
     "business_phone": "contact.phone", "mobile_phone": "contact.phone", "primary_phone": "contact.phone",
     "home_phone": "contact.phone", "job_title": "contact.job_title", "company": "company.name",
     "business_city": "contact.city", "home_city": "contact.city", "business_country_region": "company.country",
     "web_page": "company.domain",
     "title": IGNORE, "middle_name": IGNORE, "suffix": IGNORE, "nickname": IGNORE, "e_mail_type": IGNORE,
     "e_mail_display_name": IGNORE, "department": IGNORE, "notes": IGNORE, "categories": IGNORE},
    notes={"title": "Outlook's Title is the salutation (Mr., Dr.), not the job title"})

LINKEDIN = Profile(
    "linkedin_connections", "LinkedIn Connections.csv", _m("connected_on first_name", "connected_on email_address"),
    {"first_name": "contact.first_name", "last_name": "contact.last_name", "url": "contact.linkedin_url",
     "email_address": "contact.email", "company": "company.name", "position": "contact.job_title",
     "connected_on": IGNORE},
    notes={"position": "LinkedIn's Position is the job title"})

APOLLO = Profile(
    "apollo", "Apollo export", _m("apollo_contact_id", "person_linkedin_url email_status"),
    {"first_name": "contact.first_name", "last_name": "contact.last_name", "email": "contact.email",
     "title": "contact.job_title", "mobile_phone": "contact.phone", "work_direct_phone": "contact.phone",
     "corporate_phone": "contact.phone", "city": "contact.city", "person_linkedin_url": "contact.linkedin_url",
     "company": "company.name", "company_name": "company.name", "website": "company.domain",
     "country": "company.country", "industry": "company.industry", "employees": "company.employees",
     "company_linkedin_url": "company.linkedin_url",
     "apollo_contact_id": IGNORE, "apollo_account_id": IGNORE, "email_status": IGNORE, "stage": IGNORE})

MAILCHIMP = Profile(
    "mailchimp", "Mailchimp audience export", _m("email_address member_rating", "email_address optin_time"),
    {"email_address": "contact.email", "first_name": "contact.first_name", "last_name": "contact.last_name",
     "phone_number": "contact.phone", "company": "company.name",
     "member_rating": IGNORE, "optin_time": IGNORE, "optin_ip": IGNORE, "confirm_time": IGNORE,
     "confirm_ip": IGNORE, "last_changed": IGNORE, "leid": IGNORE, "euid": IGNORE, "tags": IGNORE})

VCARD = Profile(
    "vcard", "vCard file", _m("full_name first_name last_name e_mail phone organization title linkedin website"),
    {"full_name": "contact.full_name", "first_name": "contact.first_name", "last_name": "contact.last_name",
     "e_mail": "contact.email", "phone": "contact.phone", "organization": "company.name",
     "title": "contact.job_title", "linkedin": "contact.linkedin_url", "website": "company.domain",
     "city": "contact.city", "country": "company.country"})

# Most specific first: the first profile that matches wins.
PROFILES: tuple[Profile, ...] = (COCKPIT_CONTACTS, COCKPIT_COMPANIES, VCARD, TWENTY, HUBSPOT, SALESFORCE_API,
                                 SALESFORCE_REPORT, PIPEDRIVE, GOOGLE, OUTLOOK, LINKEDIN, APOLLO, MAILCHIMP)
BY_NAME = {p.name: p for p in PROFILES}


def detect(normed_headers: set[str]) -> Profile | None:
    for p in PROFILES:
        if p.matches(normed_headers):
            return p
    return None
