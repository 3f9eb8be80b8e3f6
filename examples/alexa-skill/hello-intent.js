// HelloIntent, as funker-dispatch's HelloWorldIntent answers it: how many people are in space. The original
// asked api.open-notify.org on every call; this one carries the figure, so it runs anywhere, offline too.
// It answers a whole Alexa response, which the gateway passes to Alexa unchanged.
const PEOPLE_IN_SPACE = 6;

module.exports = function helloIntent() {
  const text = `There's currently ${PEOPLE_IN_SPACE} people in space`;
  return {
    version: '1.0',
    response: {
      outputSpeech: { type: 'PlainText', text },
      card: { content: text, title: 'People in space', type: 'Simple' },
      shouldEndSession: true,
    },
    sessionAttributes: {},
  };
};
