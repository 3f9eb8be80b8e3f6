// HostnameIntent: says which replica answered, to hear round robin across a function's replicas.
// A {speech, card} reply is wrapped into an Alexa response by the gateway.
const os = require('node:os');

module.exports = function hostnameIntent() {
  const text = `My hostname is ${os.hostname()}`;
  return { speech: text, card: { title: 'Hostname', content: text } };
};
