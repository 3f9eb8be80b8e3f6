// A nightly job: a schedule runs it with its `input` as the payload. What it returns is kept in the run history
// (`dispatch get run --function nightly-cleanup -o json`), beside the schedule's name and the tick it ran for.
module.exports = function (context, payload) {
  const keepDays = (payload && payload.keepDays) || 30;
  const cutoff = new Date(Date.now() - keepDays * 24 * 3600 * 1000);
  console.log(`removing what is older than ${cutoff.toISOString()}`);
  // A real job would call a database or an API here, with credentials from context.secrets.
  return { cutoff: cutoff.toISOString(), keepDays };
};
