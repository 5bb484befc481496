{{/* The chart's name, and the release's full name (at most 63 characters). */}}
{{- define "permsync.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "permsync.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "permsync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "permsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "permsync.labels" -}}
{{ include "permsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "permsync.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "permsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "permsync.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "permsync.claimName" -}}
{{- .Values.state.existingClaim | default (printf "%s-state" (include "permsync.fullname" .)) -}}
{{- end -}}

{{/* The -f path: the git checkout's current commit, or the ConfigMap. */}}
{{- define "permsync.filesPath" -}}
{{- if eq .Values.files.source "gitSync" -}}
{{- printf "/git/current/%s" (.Values.files.gitSync.path | trimPrefix "/") | trimSuffix "/" -}}
{{- else -}}
/perms
{{- end -}}
{{- end -}}

{{/* A memory quantity (Mi or Gi) in MiB. */}}
{{- define "permsync.memoryMiB" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Gi" $q -}}
{{- mul (trimSuffix "Gi" $q | int64) 1024 -}}
{{- else if hasSuffix "Mi" $q -}}
{{- trimSuffix "Mi" $q | int64 -}}
{{- else -}}
{{- fail (printf "resources.limits.memory %q: give it in Mi or Gi" $q) -}}
{{- end -}}
{{- end -}}

{{/* Refuses values that would deploy a permsync that cannot work. */}}
{{- define "permsync.validate" -}}
{{- if not (has .Values.workload (list "deployment" "cronjob")) -}}
{{- fail (printf "workload %q: deployment or cronjob" .Values.workload) -}}
{{- end -}}
{{- if not (has .Values.mode (list "apply" "plan")) -}}
{{- fail (printf "mode %q: apply or plan" .Values.mode) -}}
{{- end -}}
{{- if not (has .Values.files.source (list "gitSync" "configMap")) -}}
{{- fail (printf "files.source %q: gitSync or configMap" .Values.files.source) -}}
{{- end -}}
{{- if and (eq .Values.files.source "gitSync") (not .Values.files.gitSync.repo) -}}
{{- fail "files.gitSync.repo: the repository of the permission files is required" -}}
{{- end -}}
{{- if and (eq .Values.files.source "configMap") (not .Values.files.configMap.name) -}}
{{- fail "files.configMap.name: the ConfigMap of the permission files is required" -}}
{{- end -}}
{{- if not .Values.schedule -}}
{{- fail "schedule is required" -}}
{{- end -}}
{{- if and (not .Values.server) (not .Values.region) -}}
{{- fail "server: the URL of the BI server is required (or region, for Quick BI)" -}}
{{- end -}}
{{- if and .Values.server .Values.region -}}
{{- fail "server and region: give one (region is Quick BI's, instead of server)" -}}
{{- end -}}
{{- if not .Values.credentials.existingSecret -}}
{{- fail "credentials.existingSecret: the Secret holding the credentials is required" -}}
{{- end -}}
{{- if not .Values.credentials.files -}}
{{- fail "credentials.files: name at least one key of the Secret" -}}
{{- end -}}
{{- range .Values.credentials.files -}}
{{- if not (has .env (list "PERMSYNC_TOKEN_FILE" "PERMSYNC_TOKEN_KEY_FILE" "PERMSYNC_EMAIL_FILE" "PERMSYNC_PASSWORD_FILE" "PERMSYNC_ACCESS_KEY_ID_FILE" "PERMSYNC_ACCESS_KEY_SECRET_FILE" "PERMSYNC_SECURITY_TOKEN_FILE")) -}}
{{- fail (printf "credentials.files: env %q is not one permsync reads (PERMSYNC_TOKEN_FILE, PERMSYNC_TOKEN_KEY_FILE, PERMSYNC_EMAIL_FILE, PERMSYNC_PASSWORD_FILE; Quick BI: PERMSYNC_ACCESS_KEY_ID_FILE, PERMSYNC_ACCESS_KEY_SECRET_FILE, PERMSYNC_SECURITY_TOKEN_FILE)" .env) -}}
{{- end -}}
{{- if not .key -}}
{{- fail (printf "credentials.files: %s has no key" .env) -}}
{{- end -}}
{{- end -}}
{{- if eq .Values.workload "deployment" -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (add (int .Values.shutdownGraceSeconds) 15) -}}
{{- fail (printf "terminationGracePeriodSeconds %d must be above shutdownGraceSeconds %d plus 15" (int .Values.terminationGracePeriodSeconds) (int .Values.shutdownGraceSeconds)) -}}
{{- end -}}
{{- end -}}
{{- with .Values.resources.limits -}}
{{- with .memory -}}
{{- $mib := include "permsync.memoryMiB" . | int64 -}}
{{- $most := div (mul $mib 1000000) 2048 -}}
{{- if gt (int64 $.Values.maxReadObjects) $most -}}
{{- fail (printf "maxReadObjects %d is more than a memory limit of %s holds: keep it near 1,000,000 per 2Gi (at most %d)" (int64 $.Values.maxReadObjects) . $most) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if le (int64 .Values.maxReadObjects) 0 -}}
{{- fail "maxReadObjects must be positive" -}}
{{- end -}}
{{- end -}}

{{/* The environment of the permsync container. */}}
{{- define "permsync.env" -}}
{{- with .Values.server }}
- name: PERMSYNC_SERVER
  value: {{ . | quote }}
{{- end }}
{{- with .Values.region }}
- name: PERMSYNC_REGION
  value: {{ . | quote }}
{{- end }}
{{- with .Values.tokenUser }}
- name: PERMSYNC_TOKEN_USER
  value: {{ . | quote }}
{{- end }}
{{- range .Values.credentials.files }}
- name: {{ .env }}
  value: {{ printf "/secrets/permsync/%s" .key | quote }}
{{- end }}
{{- end -}}

{{- define "permsync.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "permsync.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{- define "permsync.volumeMounts" -}}
- name: state
  mountPath: /state
{{- if eq .Values.files.source "gitSync" }}
- name: git
  mountPath: /git
  readOnly: true
{{- else }}
- name: perms
  mountPath: /perms
  readOnly: true
{{- end }}
- name: credentials
  mountPath: /secrets/permsync
  readOnly: true
{{- end -}}

{{- define "permsync.volumes" -}}
- name: state
  persistentVolumeClaim:
    claimName: {{ include "permsync.claimName" . }}
{{- if eq .Values.files.source "gitSync" }}
- name: git
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- else }}
- name: perms
  configMap:
    name: {{ .Values.files.configMap.name }}
{{- end }}
- name: credentials
  secret:
    secretName: {{ .Values.credentials.existingSecret }}
    defaultMode: 0400
{{- end -}}

{{/* The git-sync container; oneTime for the CronJob's init container. */}}
{{- define "permsync.gitSync" -}}
{{- $g := .root.Values.files.gitSync -}}
- name: git-sync
  image: {{ $g.image }}
  args:
    - --repo={{ $g.repo }}
    - --ref={{ $g.ref }}
    - --root=/git
    - --link=current
    {{- if .oneTime }}
    - --one-time
    {{- else }}
    - --period={{ $g.period }}
    {{- end }}
  {{- with $g.existingSecret }}
  env:
    - name: GITSYNC_USERNAME
      valueFrom:
        secretKeyRef:
          name: {{ . }}
          key: username
    - name: GITSYNC_PASSWORD
      valueFrom:
        secretKeyRef:
          name: {{ . }}
          key: password
  {{- end }}
  {{- with $g.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "permsync.securityContext" .root | nindent 4 }}
  volumeMounts:
    - name: git
      mountPath: /git
    - name: tmp
      mountPath: /tmp
{{- end -}}

{{/* The pod settings both workloads share. */}}
{{- define "permsync.podCommon" -}}
serviceAccountName: {{ include "permsync.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- include "permsync.podSecurityContext" . | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
