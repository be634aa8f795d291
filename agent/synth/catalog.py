"""The invented world the synthetic sales calls happen in: industries, SaaS products with their features and the
pains they solve, buyer personas, competitors and people's names. Pure data; nothing here is random."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductCategory:
    key: str
    label: str  # what the buyer calls this kind of tool
    pains: tuple[str, ...]  # noun phrases: "the biggest headache is {pain}", "you mentioned {pain}"
    outcomes: tuple[str, ...]  # what the product gets them: "so you can {outcome}"
    competitors: tuple[str, ...]  # invented rival products


@dataclass(frozen=True)
class Product:
    name: str
    category: str  # ProductCategory.key
    features: tuple[str, ...]
    price_unit: str  # "seat", "location", ... priced per unit per month
    price_range: tuple[int, int]  # list price per unit per month, USD


@dataclass(frozen=True)
class Industry:
    key: str
    label: str
    units: tuple[str, ...]  # what the business moves through its day: claims, shipments, patients
    teams: tuple[str, ...]
    regulation: str
    company_suffixes: tuple[str, ...]
    categories: tuple[str, ...]  # product categories that fit this industry


@dataclass(frozen=True)
class Persona:
    key: str
    label: str
    titles: tuple[str, ...]
    prior: float  # log-odds shift of buying propensity before the call starts
    objection_weights: dict[str, float]  # which objections this buyer tends to raise
    talkative: float  # 0..1, how much they say when engaged


CATEGORIES: tuple[ProductCategory, ...] = (
    ProductCategory(
        "ap_automation", "accounts payable automation",
        ("matching invoices to POs by hand", "month-end close dragging past ten days",
         "late-payment fees piling up", "approvals stuck in people's inboxes", "duplicate vendor payments"),
        ("close the books faster", "stop paying late fees", "get approvals done in a day"),
        ("PayPilot", "InvoiceHive", "Clearbooks AP"),
    ),
    ProductCategory(
        "spend", "spend management",
        ("receipts chased down every month", "no visibility into card spend until it's too late",
         "expense reports sitting for weeks", "out-of-policy spend we only catch at audit"),
        ("see spend as it happens", "cut expense-report time in half", "enforce policy before money goes out"),
        ("Spendwise", "CardLedger", "Outlay"),
    ),
    ProductCategory(
        "contracts", "contract management",
        ("contracts scattered across shared drives", "missed renewal dates", "redlines going back and forth for weeks",
         "nobody knowing what we've committed to", "legal being a bottleneck on every deal"),
        ("never miss a renewal", "turn contracts around in days instead of weeks", "find any clause in seconds"),
        ("Clausebase", "InkFlow", "Pactly"),
    ),
    ProductCategory(
        "observability", "observability and incident response",
        ("alert fatigue on the on-call rotation", "incidents taking hours to resolve", "no single view of our services",
         "finding out about outages from customers", "postmortems that never happen"),
        ("cut time to resolve incidents", "catch problems before customers do", "give on-call people their nights back"),
        ("Tracewell", "PagerGrid", "LogLantern"),
    ),
    ProductCategory(
        "identity", "identity and access security",
        ("offboarding that leaves access open for weeks", "audit prep that eats a month every year",
         "too many shared admin accounts", "phishing emails getting through", "access requests handled over chat"),
        ("pass audits without the scramble", "close access the minute someone leaves", "cut risky admin access"),
        ("KeyWarden", "Gatewise", "Accessly"),
    ),
    ProductCategory(
        "scheduling", "workforce scheduling",
        ("last-minute shift gaps", "overtime costs creeping up", "schedules built in spreadsheets",
         "no-shows nobody sees coming", "managers spending Sundays on the rota"),
        ("fill open shifts in minutes", "cut overtime", "build a schedule in an hour instead of a day"),
        ("ShiftPad", "RotaRoo", "CrewClock"),
    ),
    ProductCategory(
        "fleet", "fleet and shipment visibility",
        ("no live view of where loads are", "detention fees at the docks", "dispatch done over phone calls",
         "customers calling all day asking for ETAs", "empty miles on the return leg"),
        ("give customers live ETAs", "cut detention fees", "dispatch from one screen"),
        ("RouteRadar", "Haulview", "Loadstar TMS"),
    ),
    ProductCategory(
        "support", "customer support software",
        ("a ticket backlog that never shrinks", "slow first response times", "agents copy-pasting the same answers",
         "no QA on most conversations", "customers repeating themselves across channels"),
        ("answer customers in minutes", "shrink the backlog", "review every conversation, not two percent"),
        ("Helpdeskr", "Ticketly", "CareLoop"),
    ),
    ProductCategory(
        "recruiting", "recruiting and applicant tracking",
        ("time-to-hire stretching past two months", "candidates dropping out mid-process",
         "hiring managers who never leave feedback", "interview scheduling over email", "no data on which sources work"),
        ("hire weeks faster", "keep candidates warm", "get feedback in within a day"),
        ("Hirelane", "TalentTrack", "Recruitly"),
    ),
    ProductCategory(
        "analytics", "analytics and reporting",
        ("reports rebuilt by hand every Monday", "numbers that don't match between teams",
         "waiting weeks on the data team", "dashboards nobody trusts", "spreadsheets emailed around as the source of truth"),
        ("get one set of numbers", "answer questions without a ticket to the data team", "automate the weekly reporting"),
        ("Chartwise", "Metricly", "DashForge"),
    ),
    ProductCategory(
        "compliance", "compliance automation",
        ("collecting audit evidence by hand", "security questionnaires from every customer",
         "policies tracked in a spreadsheet", "the SOC 2 renewal scramble", "vendor risk reviews nobody owns"),
        ("be audit-ready all year", "answer questionnaires in hours", "keep every policy current"),
        ("Attestly", "ComplyKit", "AuditNest"),
    ),
    ProductCategory(
        "field_service", "field service and maintenance",
        ("unplanned downtime on the line", "technicians driving back for parts", "paper work orders",
         "preventive maintenance slipping", "no history on which assets keep failing"),
        ("cut unplanned downtime", "fix it on the first visit", "move from reactive to planned maintenance"),
        ("FixFleet", "Upkeepr", "PlantPulse"),
    ),
    ProductCategory(
        "learning", "learning and training",
        ("onboarding taking three months", "compliance training completion nobody can prove",
         "no idea which training actually works", "trainers flying between sites"),
        ("get new hires productive faster", "prove training completion", "train every site the same way"),
        ("Learnify", "SkillStack", "CoachPath"),
    ),
    ProductCategory(
        "cpq", "quoting and pricing",
        ("quotes taking days to get out", "discounts given without approval", "pricing errors on invoices",
         "reps building quotes in spreadsheets", "renewals priced from memory"),
        ("get quotes out the same day", "stop margin leaking through discounts", "quote without errors"),
        ("QuoteSmith", "DealDesk Pro", "Pricefy"),
    ),
    ProductCategory(
        "intake", "digital intake and forms",
        ("paper intake forms retyped by staff", "no-shows and late cancellations", "prior authorizations taking days",
         "front-desk phones ringing off the hook", "missing information on half the forms"),
        ("cut front-desk work", "reduce no-shows", "get complete information before the visit"),
        ("Intakely", "FormFlow Health", "Checkin360"),
    ),
    ProductCategory(
        "assets", "digital asset management",
        ("nobody finding the final version of a file", "licensing and usage rights tracked in email",
         "designers recreating assets that already exist", "slow approvals on creative"),
        ("find any asset in seconds", "never use an asset outside its rights", "approve creative in a day"),
        ("Brandvault", "Assetry", "MediaMesh"),
    ),
    ProductCategory(
        "property", "property operations",
        ("maintenance requests lost in email", "lease renewals tracked in spreadsheets", "slow rent collection",
         "tenants with no way to see request status", "vendor invoices nobody can match to jobs"),
        ("turn maintenance requests around faster", "renew leases on time", "collect rent on time"),
        ("Leasewell", "Propstack", "DoorDesk"),
    ),
    ProductCategory(
        "claims", "claims automation",
        ("claims sitting in the queue for weeks", "adjusters rekeying data from PDFs", "fraud caught only after payout",
         "policyholders calling for status updates", "subrogation opportunities we miss"),
        ("settle simple claims in days", "take rekeying off adjusters' plates", "flag suspicious claims earlier"),
        ("ClaimPilot", "Adjustly", "Settlr"),
    ),
)

CATEGORY_BY_KEY: dict[str, ProductCategory] = {c.key: c for c in CATEGORIES}

PRODUCTS: tuple[Product, ...] = (
    Product("Ledgerline", "ap_automation", ("three-way PO matching", "invoice capture with OCR", "approval routing",
            "a two-way ERP sync", "early-payment discount tracking", "a vendor self-service portal"), "user", (40, 90)),
    Product("Payablo", "ap_automation", ("automatic GL coding", "duplicate-payment detection", "mobile approvals",
            "global payouts in 40 currencies", "a close checklist", "audit trails on every invoice"), "user", (35, 80)),
    Product("Tallyroute", "spend", ("virtual cards per vendor", "receipt matching from a photo", "real-time budgets",
            "policy rules at the point of purchase", "automatic mileage", "accounting sync"), "cardholder", (8, 20)),
    Product("Expensa", "spend", ("pre-approved spend requests", "card controls by merchant", "multi-entity support",
            "expense reports that fill themselves", "a budget owner view", "reimbursements in two days"), "user", (10, 25)),
    Product("Clausely", "contracts", ("AI clause extraction", "renewal alerts", "a redlining workspace",
            "an obligation tracker", "templates with a clause library", "e-signature built in"), "seat", (60, 150)),
    Product("Docketry", "contracts", ("a searchable contract repository", "approval workflows",
            "Salesforce-triggered contract requests", "version comparison", "a playbook for negotiators",
            "reporting on cycle times"), "seat", (50, 120)),
    Product("Pulsegrid", "observability", ("distributed tracing", "alert deduplication", "a service map",
            "SLO tracking", "on-call scheduling", "automatic incident timelines"), "host", (15, 40)),
    Product("Signalbeam", "observability", ("log search across every service", "anomaly detection",
            "runbooks attached to alerts", "status pages", "a Slack incident bot", "postmortem templates"), "host", (18, 45)),
    Product("Keystone ID", "identity", ("single sign-on", "automated offboarding", "access reviews",
            "privileged access with time limits", "MFA everywhere", "audit-ready access reports"), "user", (6, 15)),
    Product("Phishguard", "identity", ("phishing simulations", "a report-phish button", "inbox threat removal",
            "security awareness lessons", "risk scoring per employee", "monthly board reporting"), "user", (3, 9)),
    Product("Shiftwise", "scheduling", ("auto-scheduling from demand forecasts", "open-shift marketplace",
            "overtime alerts", "a mobile app for swaps", "time clock with geofencing", "labor-law rules"), "employee", (4, 10)),
    Product("Rosterly", "scheduling", ("drag-and-drop schedules", "availability capture", "shift reminders by text",
            "labor cost forecasting", "payroll export", "multi-site views"), "employee", (3, 8)),
    Product("Freightline", "fleet", ("live GPS tracking", "automatic customer ETAs", "dock appointment booking",
            "detention-time alerts", "driver mobile app", "proof of delivery photos"), "truck", (25, 60)),
    Product("Cargoflow", "fleet", ("load matching for backhauls", "dispatch board", "carrier scorecards",
            "ELD integrations", "exception alerts", "freight audit"), "truck", (30, 70)),
    Product("Replyhub", "support", ("shared inbox for email, chat and phone", "AI-suggested replies",
            "SLA timers", "a knowledge base", "CSAT surveys", "automatic routing"), "agent", (40, 110)),
    Product("Qualitas", "support", ("auto-QA on every conversation", "agent coaching workflows", "sentiment trends",
            "scorecards", "calibration sessions", "root-cause tagging"), "agent", (30, 70)),
    Product("Talentloop", "recruiting", ("one-click job posting to 20 boards", "interview self-scheduling",
            "scorecards for hiring managers", "candidate text messaging", "source-of-hire reporting",
            "offer letters with e-sign"), "recruiter", (150, 400)),
    Product("Hirewell", "recruiting", ("AI resume screening", "structured interview kits", "a careers page builder",
            "referral tracking", "pipeline analytics", "background-check integrations"), "recruiter", (120, 350)),
    Product("Insightful", "analytics", ("a semantic metrics layer", "scheduled reports", "natural-language queries",
            "row-level permissions", "a warehouse connector", "embedded dashboards"), "seat", (30, 80)),
    Product("Datadash", "analytics", ("no-code dashboards", "alerts on metric changes", "spreadsheet sync",
            "100 prebuilt connectors", "data lineage", "a mobile app"), "seat", (20, 60)),
    Product("Certify", "compliance", ("automated evidence collection", "a policy library", "a trust center",
            "questionnaire auto-fill", "continuous control monitoring", "an auditor portal"), "employee", (5, 12)),
    Product("Riskframe", "compliance", ("vendor risk assessments", "control mapping across frameworks",
            "risk registers", "task reminders for control owners", "board-ready reports", "policy attestations"), "employee", (4, 10)),
    Product("Wrenchly", "field_service", ("mobile work orders", "parts inventory by van", "preventive maintenance plans",
            "asset history with QR codes", "technician routing", "customer sign-off on site"), "technician", (35, 80)),
    Product("Uptimo", "field_service", ("vibration and temperature sensors", "failure predictions",
            "maintenance calendars", "spare-parts forecasting", "downtime reporting", "CMMS integrations"), "asset", (10, 30)),
    Product("Coursebridge", "learning", ("course authoring", "learning paths by role", "completion tracking",
            "quizzes and certifications", "microlearning on mobile", "manager dashboards"), "learner", (4, 12)),
    Product("Onboardly", "learning", ("day-one checklists", "buddy assignments", "video lessons", "progress nudges",
            "HRIS sync", "time-to-productivity reports"), "employee", (3, 9)),
    Product("Quotient", "cpq", ("guided quoting", "discount approval rules", "product bundles", "renewal quotes",
            "e-signature", "CRM sync"), "seat", (50, 120)),
    Product("Pricewell", "cpq", ("price books by region", "margin guardrails", "quote templates",
            "usage-based billing", "approval chains", "deal desk analytics"), "seat", (45, 100)),
    Product("Formfront", "intake", ("mobile intake forms", "insurance card capture", "automated reminders",
            "waitlist backfill", "prior-auth tracking", "EHR integration"), "provider", (90, 200)),
    Product("Checkinly", "intake", ("self check-in kiosks", "two-way texting", "digital consent forms",
            "copay collection", "no-show predictions", "language translation"), "location", (150, 400)),
    Product("Vaultly", "assets", ("AI tagging", "usage-rights tracking", "brand portals", "version history",
            "review and approval", "Adobe plugin"), "seat", (25, 70)),
    Product("Framebank", "assets", ("video transcoding", "collections for campaigns", "expiring share links",
            "rights expiry alerts", "metadata templates", "CMS publishing"), "seat", (30, 80)),
    Product("Tenantly", "property", ("a tenant portal", "maintenance ticketing", "online rent payments",
            "lease renewal reminders", "vendor dispatch", "owner reports"), "unit", (1, 4)),
    Product("Buildingbase", "property", ("work-order tracking", "inspection checklists", "lease abstraction",
            "capital planning", "energy dashboards", "accounting integration"), "unit", (1, 3)),
    Product("Claimwise", "claims", ("first notice of loss intake", "document extraction", "fraud scoring",
            "straight-through processing for simple claims", "policyholder status texts", "subrogation flags"), "adjuster", (120, 300)),
    Product("Adjudicate", "claims", ("claim triage", "reserve recommendations", "photo-based damage estimates",
            "vendor assignment", "litigation alerts", "a claims analytics hub"), "adjuster", (100, 260)),
)

INDUSTRIES: tuple[Industry, ...] = (
    Industry("fintech", "fintech", ("transactions", "payments", "loan applications", "accounts"),
             ("finance", "risk", "operations", "engineering"), "PCI DSS",
             ("Pay", "Capital", "Lending", "Financial", "Money"),
             ("ap_automation", "spend", "identity", "compliance", "observability", "support", "analytics")),
    Industry("healthcare", "healthcare", ("patients", "appointments", "claims", "referrals"),
             ("front desk", "revenue cycle", "clinical operations", "IT"), "HIPAA",
             ("Health", "Medical Group", "Clinics", "Care", "Physicians"),
             ("intake", "scheduling", "compliance", "identity", "learning", "analytics", "support")),
    Industry("logistics", "logistics", ("shipments", "loads", "deliveries", "pallets"),
             ("dispatch", "operations", "customer service", "finance"), "DOT hours-of-service",
             ("Freight", "Logistics", "Transport", "Carriers", "Shipping"),
             ("fleet", "scheduling", "ap_automation", "support", "analytics", "field_service")),
    Industry("retail", "retail", ("orders", "stores", "SKUs", "returns"),
             ("store operations", "merchandising", "customer care", "finance"), "PCI",
             ("Outfitters", "Goods", "Market", "Home", "Supply Co."),
             ("scheduling", "support", "analytics", "learning", "spend", "assets")),
    Industry("manufacturing", "manufacturing", ("production lines", "work orders", "parts", "batches"),
             ("plant operations", "maintenance", "quality", "procurement"), "ISO 9001",
             ("Manufacturing", "Industries", "Components", "Fabrication", "Works"),
             ("field_service", "ap_automation", "learning", "analytics", "cpq", "compliance")),
    Industry("education", "education", ("students", "courses", "campuses", "applications"),
             ("admissions", "IT", "student services", "finance"), "FERPA",
             ("Academy", "University", "College", "Learning", "Schools"),
             ("support", "identity", "learning", "analytics", "scheduling", "intake")),
    Industry("legal", "legal", ("matters", "contracts", "cases", "filings"),
             ("legal ops", "litigation support", "finance", "IT"), "client confidentiality rules",
             ("Law", "Legal", "& Partners", "LLP", "Counsel"),
             ("contracts", "compliance", "identity", "analytics", "ap_automation")),
    Industry("real_estate", "real estate", ("units", "leases", "properties", "work orders"),
             ("property management", "leasing", "maintenance", "accounting"), "fair housing rules",
             ("Properties", "Realty", "Residential", "Living", "Estates"),
             ("property", "ap_automation", "support", "field_service", "analytics")),
    Industry("insurance", "insurance", ("claims", "policies", "quotes", "renewals"),
             ("claims", "underwriting", "customer service", "IT"), "state insurance regulations",
             ("Insurance", "Mutual", "Assurance", "Underwriters", "Insurance Group"),
             ("claims", "support", "compliance", "identity", "analytics", "cpq")),
    Industry("media", "media", ("campaigns", "assets", "episodes", "subscribers"),
             ("creative", "marketing", "production", "ad sales"), "licensing agreements",
             ("Media", "Studios", "Publishing", "Network", "Creative"),
             ("assets", "contracts", "analytics", "support", "cpq")),
    Industry("cybersecurity", "cybersecurity", ("customers", "alerts", "endpoints", "deployments"),
             ("security operations", "engineering", "customer success", "sales"), "SOC 2",
             ("Security", "Cyber", "Defense", "Labs", "Shield"),
             ("observability", "compliance", "support", "cpq", "identity", "recruiting")),
    Industry("hr_staffing", "HR and staffing", ("placements", "candidates", "contractors", "timesheets"),
             ("recruiting", "account management", "payroll", "compliance"), "employment law",
             ("Staffing", "Talent", "Workforce", "People", "Recruiting"),
             ("recruiting", "scheduling", "compliance", "learning", "support", "ap_automation")),
    Industry("hospitality", "hospitality", ("bookings", "guests", "locations", "shifts"),
             ("guest services", "operations", "food and beverage", "finance"), "health and safety codes",
             ("Hotels", "Hospitality", "Resorts", "Restaurant Group", "Inns"),
             ("scheduling", "learning", "support", "spend", "analytics", "property")),
    Industry("construction", "construction", ("projects", "job sites", "subcontractors", "change orders"),
             ("project management", "field operations", "estimating", "accounting"), "OSHA",
             ("Construction", "Builders", "Contracting", "Build Group", "Civil"),
             ("field_service", "ap_automation", "contracts", "scheduling", "learning", "spend")),
)

PERSONAS: tuple[Persona, ...] = (
    Persona("economic_buyer", "economic buyer",
            ("CFO", "VP of Finance", "Head of Finance", "Controller", "Finance Director"),
            -0.15, {"price": 0.45, "timing": 0.15, "need": 0.2, "authority": 0.05, "competitor": 0.15}, 0.5),
    Persona("technical_evaluator", "technical evaluator",
            ("IT Director", "Head of Engineering", "Solutions Architect", "IT Lead", "Director of Platform"),
            0.0, {"price": 0.1, "timing": 0.15, "need": 0.3, "authority": 0.15, "competitor": 0.3}, 0.7),
    Persona("champion", "champion",
            ("Team Lead", "Operations Manager", "Sales Ops Manager", "Program Manager", "Senior Analyst"),
            0.35, {"price": 0.2, "timing": 0.2, "need": 0.1, "authority": 0.4, "competitor": 0.1}, 0.8),
    Persona("procurement", "skeptical procurement",
            ("Procurement Manager", "Vendor Manager", "Sourcing Lead", "Purchasing Director", "Category Manager"),
            -0.5, {"price": 0.4, "timing": 0.1, "need": 0.1, "authority": 0.1, "competitor": 0.3}, 0.4),
    Persona("busy_exec", "busy executive",
            ("COO", "CEO", "VP of Operations", "General Manager", "Chief of Staff"),
            -0.1, {"price": 0.15, "timing": 0.35, "need": 0.3, "authority": 0.05, "competitor": 0.15}, 0.3),
)

PERSONA_BY_KEY: dict[str, Persona] = {p.key: p for p in PERSONAS}

OBJECTION_TYPES: tuple[str, ...] = ("price", "timing", "authority", "need", "competitor")
SIGNAL_TYPES: tuple[str, ...] = ("budget", "timeline", "decision_maker", "next_step")

COMPANY_SIZES: tuple[tuple[str, int, int, float], ...] = (
    # (label, min employees, max employees, prior log-odds shift)
    ("smb", 20, 200, 0.15),
    ("mid-market", 200, 2000, 0.0),
    ("enterprise", 2000, 40000, -0.25),
)

COMPANY_STEMS: tuple[str, ...] = (
    "Alder", "Bluecrest", "Cobalt", "Summit", "Harbor", "Ironwood", "Juniper", "Keystone", "Lakeside", "Meridian",
    "Northgate", "Oakridge", "Pinecone", "Quarry", "Redstone", "Silverline", "Tidewater", "Upland", "Vantage",
    "Westbrook", "Yellowpine", "Zenith", "Amberly", "Brightwater", "Cedar Point", "Driftwood", "Evergreen",
    "Foxhollow", "Granite", "Highland", "Indigo", "Jasper", "Kestrel", "Larkspur", "Maple Street", "Nimbus",
    "Orchard", "Prairie", "Riverside", "Sagebrush", "Thornbury", "Unity", "Valley Forge", "Willow", "Sierra",
    "Copperleaf", "Bayview", "Stonebridge", "Clearwater", "Horizon", "Aspen", "Birchwood", "Coastal", "Dunmore",
    "Elmhurst", "Fairview", "Goldcrest", "Hawthorne", "Ivory Gate", "Silver Maple", "Red Oak", "Eastlake",
)

FIRST_NAMES: tuple[str, ...] = (
    "Priya", "Marcus", "Aisha", "Diego", "Mei", "Tom", "Fatima", "Jonas", "Sofia", "Kwame", "Hannah", "Ravi",
    "Chloe", "Mateo", "Yuki", "Olivia", "Tariq", "Ingrid", "Daniel", "Amara", "Lucas", "Nadia", "Ethan", "Zainab",
    "Carlos", "Grace", "Omar", "Leah", "Arjun", "Beatriz", "Kevin", "Anika", "Samuel", "Elena", "Jamal", "Sara",
    "Hiroshi", "Megan", "Tunde", "Isabel", "Ryan", "Leila", "Wei", "Rachel", "Andrés", "Maya", "Patrick", "Noor",
    "Ben", "Ximena", "Dmitri", "Jess", "Kofi", "Emily", "Rahul", "Camila", "Jordan", "Aaliyah", "Sven", "Lin",
    "Nick", "Gabriela", "Femi", "Laura", "Vikram", "Rosa", "Alex", "Chen", "Natalie", "Mohammed", "Erin", "Pablo",
    "Keisha", "Stefan", "Ana", "Luis", "Deepa", "Connor", "Amira", "Jin", "Tanya", "Henrik", "Lola", "Sam",
)

LAST_NAMES: tuple[str, ...] = (
    "Shah", "Johnson", "Okafor", "Ramirez", "Chen", "Müller", "Nguyen", "Kowalski", "Haddad", "Silva", "Patel",
    "O'Brien", "Kim", "Mensah", "Rossi", "Tanaka", "Andersson", "García", "Cohen", "Ibrahim", "Dubois", "Park",
    "Novak", "Adeyemi", "Fischer", "Morales", "Singh", "Walsh", "Yamamoto", "Hughes", "Lopez", "Ahmed", "Becker",
    "Costa", "Reyes", "Brennan", "Ito", "Kaur", "Lindqvist", "Mwangi", "Petrov", "Santos", "Torres", "Wright",
    "Zhang", "Baker", "Diallo", "Eriksen", "Gupta", "Jensen", "Khan", "Larsen", "Moreau", "Owusu", "Quinn",
    "Romero", "Sato", "Vargas", "Weber", "Young",
)

STATUS_QUO: tuple[str, ...] = (
    "spreadsheets", "a homegrown tool", "email and a shared drive", "our ERP's built-in module",
    "a tool we built years ago", "a mix of spreadsheets and sticky notes", "whatever each team picked",
)

MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)
WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
TIMES: tuple[str, ...] = (
    "9", "9:30", "10", "10:30", "11", "noon", "1", "1:30", "2", "2:30", "3", "3:30", "4", "4:30",
)
