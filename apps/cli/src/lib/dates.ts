const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let zoneFormat: Intl.DateTimeFormat | undefined;

function zoneName(date: Date): string {
  zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  const part = zoneFormat.formatToParts(date).find((item) => item.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

const two = (value: number) => String(value).padStart(2, '0');

/** Unix seconds as the original CLI printed them: `Thu Sep 13 12:41:07 PDT 2018`, in local time. */
export function formatUnixDate(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return '';
  const date = new Date(seconds * 1000);
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  const day = String(date.getDate()).padStart(2, ' ');
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${time} ${zoneName(date)} ${date.getFullYear()}`;
}
