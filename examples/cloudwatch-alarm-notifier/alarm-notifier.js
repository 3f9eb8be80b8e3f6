// A CloudWatch alarm notifier: runs for each alarm state change that reaches it through an SNS topic. The sns
// trigger has unwrapped the alarm (`event.alarm`: name, state, previousState, reason, changedAt, …). It writes one
// line a person can read, logs it (`dispatch logs alarm-notifier`) and answers it, so the run history is the
// alarm history; send `text` on to a chat webhook or a pager from here.
module.exports = function alarmNotifier(context, event) {
  const alarm = event && event.alarm;
  if (!alarm) {
    console.log(`ignored an SNS message that is not a CloudWatch alarm (${event && event.kind})`);
    return { ignored: event && event.kind };
  }
  const from = alarm.previousState ? ` (was ${alarm.previousState})` : '';
  const text = `[${alarm.state}] ${alarm.name}${from} in ${alarm.region || 'unknown region'}: ${alarm.reason || 'no reason given'}`;
  console.log(text);
  return { text, alarm: alarm.name, state: alarm.state, changedAt: alarm.changedAt };
};
