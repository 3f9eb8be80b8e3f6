// The image this function runs on installs `slugify` (see package.json beside this file).
const slugify = require('slugify');

module.exports = function (context, payload) {
  const title = (payload && payload.title) || '';
  if (typeof title !== 'string') throw new TypeError('title must be a string');
  return { slug: slugify(title, { lower: true, strict: true }) };
};
