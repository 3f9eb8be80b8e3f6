// An S3 upload handler: runs once per S3 event notification that reaches it through an SNS topic. The sns trigger
// has unwrapped the event: `records` holds one entry per object (bucket, key already URL-decoded, size), and
// `sns` the message as SNS sent it. Replace the log line with the work to do on each new object.
module.exports = function s3UploadHandler(context, event) {
  const uploads = ((event && event.records) || [])
    .filter((record) => record.event.startsWith('ObjectCreated:'))
    .map((record) => ({ bucket: record.bucket, key: record.key, size: record.size }));
  for (const upload of uploads) console.log(`new object s3://${upload.bucket}/${upload.key} (${upload.size} bytes)`);
  return { uploads };
};
