module.exports = function (context, payload) {
  const name = (payload && payload.name) || 'Noone';
  const place = (context.secrets && context.secrets.place) || 'Nowhere';
  console.log('messages to stdout show up in logs');
  return { myField: `Hello, ${name} from ${place}` };
};
