// "Alexa, open dispatch demo": a LaunchRequest. The session stays open so the user can ask an intent next.
module.exports = function launch(context, alexaRequest) {
  const isNew = Boolean(alexaRequest && alexaRequest.session && alexaRequest.session.new);
  return {
    speech: isNew ? 'Welcome to the Dispatch demo. Ask me how many people are in space.' : 'Ask me how many people are in space.',
    endSession: false,
  };
};
