{{- define "dispatch.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dispatch.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dispatch.labels" -}}
app.kubernetes.io/name: {{ include "dispatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "dispatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dispatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dispatch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dispatch.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "dispatch.functionsNamespace" -}}
{{- default .Release.Namespace .Values.knative.namespace -}}
{{- end -}}

{{- define "dispatch.tokenSecret" -}}
{{- default (printf "%s-admin" (include "dispatch.fullname" .)) .Values.adminToken.existingSecret -}}
{{- end -}}

{{- define "dispatch.metricsSecret" -}}
{{- default (printf "%s-metrics" (include "dispatch.fullname" .)) .Values.metrics.token.existingSecret -}}
{{- end -}}

{{- define "dispatch.registrySecret" -}}
{{- default (printf "%s-registry" (include "dispatch.fullname" .)) .Values.registry.existingSecret -}}
{{- end -}}

{{/* True when the gateway keeps its state in PostgreSQL (bundled or external): then replicas may be more than one. */}}
{{- define "dispatch.sharedStore" -}}
{{- if or .Values.postgresql.enabled .Values.externalDatabase.url .Values.externalDatabase.existingSecret }}true{{ end }}
{{- end }}

{{/* The Secret holding the store URL (key `url`), and the bundled PostgreSQL's password (key `password`). */}}
{{- define "dispatch.storeSecret" -}}
{{- default (printf "%s-store" (include "dispatch.fullname" .)) .Values.externalDatabase.existingSecret }}
{{- end }}
