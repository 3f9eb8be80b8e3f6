// HelloIntent as a plain funker function, the way funker-dispatch's functions were written: a TCP server on
// port 9999 that reads one JSON document (the whole Alexa request) until the caller half-closes, answers one
// JSON document, and exits; Swarm starts it again. No Dispatch runtime inside: `protocol: funker`.
const net = require('node:net');

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  const chunks = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('end', () => {
    // Decode once, after the last chunk: a multi-byte character may be split across chunks.
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    const intent = request && request.request && request.request.intent ? request.request.intent.name : 'none';
    const text = intent === 'HelloIntent' ? "There's currently 6 people in space" : `I only know HelloIntent, not ${intent}`;
    const reply = {
      version: '1.0',
      response: {
        outputSpeech: { type: 'PlainText', text },
        card: { content: text, title: 'People in space', type: 'Simple' },
        shouldEndSession: true,
      },
      sessionAttributes: {},
    };
    socket.end(JSON.stringify(reply), () => {
      server.close();
      process.exit(0);
    });
  });
});
server.listen(9999);
