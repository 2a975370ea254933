/// What each keyword of the journey language does, in a sentence or two (from docs/language.md),
/// shown on hover.
enum KeywordDocumentation {
    static let entries: [String: String] = [
        // Declarations.
        "journey":
            "`journey NAME [\"Title\"]` declares a journey: its settings (trigger, entry, exit, goal, …) and then its steps, run top to bottom for each customer who enters.",
        "segment":
            "`segment NAME [\"Title\"] where COND` names a condition over the customer's attributes and event history. Use it as `customer in segment NAME`, `trigger on segment NAME` or `for segment NAME`.",
        "policy":
            "`policy` holds the global delivery rules every journey's sends go through: time zone, settle window, caps, minimum gap, quiet hours. Exactly one per journeys directory.",
        "schema":
            "`schema` declares the types of customer attributes (`customer` block) and event properties (`event \"name\"` blocks). With it, undeclared names are errors.",
        "customer":
            "`customer.NAME` is a customer attribute; built in: `id`, `email`, `phone`, `time_zone`, `subscribed.<channel>`. In a schema, `customer` opens the block declaring attribute types.",
        // Journey settings.
        "stage":
            "`stage STAGE` sets the lifecycle stage of the steps that follow: `awareness`, `consideration`, `purchase`, `retention` or `advocacy`.",
        "priority": "`priority N` (0–100, default 50): when journeys compete for the same customer, the higher priority wins.",
        "trigger":
            "`trigger on event \"name\" [where COND]`, `trigger on segment NAME` or `trigger every DAYS at HH:MM [for segment NAME]`: how customers enter the journey (exactly one).",
        "entry":
            "`entry once`, `entry once per DURATION`, `entry one at a time` (the default) or `entry always`: whether and when a customer may enter again.",
        "exit":
            "As a setting, `exit on event \"name\" [where COND]` or `exit when COND` leaves the journey wherever the customer is. As a step, `exit [\"reason\"]` ends the instance here.",
        "goal":
            "`goal event \"name\" [where COND] within DURATION [then exit]`: the conversion goal and its window, counted per journey and per step.",
        "cap":
            "`cap [SCOPE…] N per WINDOW`: at most N messages per window. Scopes: `marketing`, `transactional`, a channel, `all`, `each journey`, `journey NAME`. Windows: `day` (calendar day in the customer's time zone), `hour`, `week`, `24 hours`, `rolling 7 days`.",
        "zone": "`time zone \"Area/City\"`: the IANA time zone for customers whose profile names none.",
        // Steps.
        "step":
            "`step LABEL: STEP` gives a step a label, used in graphs, reports and timelines (otherwise one is generated, such as `send_email_welcome`).",
        "wait":
            "`wait DURATION`, `wait until HH:MM [on DAYS]` (in the customer's time zone) or `wait for event \"name\" [where COND] up to DURATION` with `received ->` and `timeout ->` arms.",
        "until": "`wait until HH:MM [on DAYS]` waits for the next occurrence of that local time, strictly after now.",
        "received": "`received ->` runs its steps when the awaited event arrives before the timeout.",
        "timeout": "`timeout ->` runs its steps when the awaited event did not arrive in time.",
        "events":
            "`wait for events up to DURATION` with one `on event \"name\" [where COND] ->` arm per event (the first arm that matches takes the event) and an optional `timeout ->` arm.",
        "go": "`go to LABEL` continues at the step labelled `step LABEL:` (a join: two arms share the steps after it). A loop must contain a wait.",
        "holdout":
            "`global holdout N%` (policy): a stable N% of customers is kept out of every journey with a marketing send; their conversions are still measured.",
        "send":
            "`send CHANNEL MESSAGE [options]` sends message MESSAGE (templates in `messages/MESSAGE/`) on `email`, `sms` or `webhook`. Options: `transactional`, `topic \"name\"`, `fallback CHANNEL`, `when capped …`, `in quiet hours …`, `at best time within DURATION [default HH:MM]`.",
        "if":
            "`if COND` … `else if COND` … `else`: the first condition that holds wins; with no `else`, a customer matching none continues after the `if`.",
        "else": "`else` / `else if COND`: the arm taken when the conditions before it do not hold.",
        "split":
            "`split \"name\"` with `variant NAME N%` blocks and `control N%`: a weighted experiment. Customers are assigned by a stable hash, so each always lands in the same variant.",
        "variant": "`variant NAME N%`: one arm of a split, taken by N% of customers.",
        "control": "`control N%`: the split's control group; it skips straight to the step after the split, so its conversions measure the uplift.",
        "winner":
            "`winner after 14 days by conversion min 500 per variant` in a split: once the period has passed and every variant has the minimum sample, the variant that converts significantly better (95 %) gets the later entrants; the control keeps its share. The dry-run and the service decide it the same way.",
        "set": "`set customer.NAME = EXPR` updates a customer attribute.",
        "increment":
            "`increment customer.NAME [by EXPR]` adds a number (default 1) to a number, or a duration to a time; a missing value counts as 0.",
        "unset": "`unset customer.NAME` removes a customer attribute.",
        // Send options.
        "transactional":
            "`transactional`: not marketing. Bypasses caps, quiet hours and marketing consent (still recorded). In a policy, `transactional counts toward caps` makes them count.",
        "marketing": "`marketing` (the default category of a send): subject to caps, quiet hours, the minimum gap and consent.",
        "topic": "`topic \"name\"`: the subscription topic of a marketing send, for consent beyond the channel.",
        "fallback":
            "`fallback CHANNEL`: send on this channel instead when the first is not allowed (no consent, no contact data, or capped with `when capped fallback`).",
        "capped":
            "`when capped skip` (default), `when capped defer up to DURATION` or `when capped fallback`: what a send does when a cap, the minimum gap or a higher-priority journey blocks it.",
        "quiet":
            "`in quiet hours skip` or `in quiet hours defer` (default) on a send; in a policy, `quiet hours HH:MM to HH:MM [for CHANNELS]` is the window with no marketing.",
        "best":
            "`at best time within DURATION [default HH:MM]` on a marketing email or SMS: send at the local hour the customer opens and clicks most (a decayed histogram, half-life 30 days) within the window; with fewer than 3 engagements, at the journey's audience-wide best hour, else at the default time or the window start. Window: 1 hour to 7 days. Quiet hours and caps still apply.",
        "defer": "`defer`: wait for the next allowed moment instead of skipping (`when capped defer up to DURATION`, `in quiet hours defer`).",
        "skip": "`skip`: drop the message when it is not allowed (`when capped skip`, `in quiet hours skip`).",
        // Policy rules.
        "settle": "`settle window DURATION`: a send waits this long for a higher-priority send from another journey (at most 1 hour).",
        "minimum": "`minimum gap DURATION [between marketing]`: the least time between two marketing messages, on any channel.",
        // Channels and stages.
        "email": "The email channel: templates `subject.mustache` and `body.html.mustache` and/or `body.txt.mustache`.",
        "sms": "The SMS channel: template `sms.mustache`.",
        "webhook": "The webhook channel: template `webhook.json.mustache`, delivered signed (Standard Webhooks).",
        "awareness": "Lifecycle stage `awareness`.", "consideration": "Lifecycle stage `consideration`.",
        "purchase": "Lifecycle stage `purchase` (conversion).",
        "retention": "Lifecycle stage `retention`.", "advocacy": "Lifecycle stage `advocacy`.",
        // Expressions.
        "event":
            "`event.NAME` is a property of the event (in a filter: the event tested; elsewhere: the instance's most recent matched event). `event \"name\" … at least N times [in last DURATION]` counts events.",
        "where": "`where COND`: a filter (on a trigger, exit, goal, wait or count) or a segment's condition.",
        "count": "`count(event \"name\" [where COND] [within DURATION])`: how many such events the customer had.",
        "last": "`last(event \"name\")`: the time of the customer's most recent such event, or null.",
        "exists": "`exists customer.NAME`: whether the attribute has a value.",
        "now": "`now`: the current time (the virtual clock in a dry-run).",
        "contains": "`TEXT contains TEXT` or `LIST contains VALUE`.",
        "matches": "`TEXT matches \"regex\"`: a regular expression test.",
        "within": "`within DURATION`: the window of a goal or a count.",
        "and": "`and`: both conditions hold. A line starting with `and` continues the statement above.",
        "or": "`or`: either condition holds. A line starting with `or` continues the statement above.",
        "not": "`not COND`; also `not in`, `not contains`.",
        "every":
            "`trigger every DAYS at HH:MM [for segment NAME]`: a schedule in each customer's own time zone. DAYS: `day`, `weekday`, `weekend`, or days such as `monday, thursday`.",
    ]
}
