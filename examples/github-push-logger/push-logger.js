// A GitHub push logger: prints one line per commit of a push (see `dispatch logs push-logger`) and answers the
// commit list, which the run keeps as its output (`dispatch get run <id> -o json`).
module.exports = function pushLogger(context, push) {
  const repository = (push && push.repository && push.repository.full_name) || 'unknown repository';
  const commits = ((push && push.commits) || []).map((commit) => ({
    id: commit.id,
    message: commit.message,
    author: commit.author ? commit.author.name : undefined,
  }));
  for (const commit of commits) console.log(`${repository} ${push.ref}: ${String(commit.id).slice(0, 7)} ${commit.message}`);
  return { repository, ref: push && push.ref, commits };
};
