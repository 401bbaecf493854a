# bash completion for mlp(1). Every candidate comes from `mlp __complete
# WORD...`, which gets the words after "mlp" up to the one being completed
# and prints "value" or "value<TAB>description" lines; a ":files" line asks
# for file names too. Install as /usr/share/bash-completion/completions/mlp,
# or source it.

# Removes shell quoting from $1 ('...', "...", backslashes); result in REPLY.
_mlp_dequote()
{
	local s=$1 out='' q='' c i

	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if [[ $q == "'" ]]; then
			if [[ $c == "'" ]]; then q=; else out+=$c; fi
		elif [[ $q == '"' ]]; then
			if [[ $c == '"' ]]; then
				q=
			elif [[ $c == "\\" && ${s:i+1:1} == [\"\\\$\`] ]]; then
				out+=${s:i+1:1}
				i=$((i + 1))
			else
				out+=$c
			fi
		elif [[ $c == "'" || $c == '"' ]]; then
			q=$c
		elif [[ $c == "\\" ]]; then
			out+=${s:i+1:1}
			i=$((i + 1))
		else
			out+=$c
		fi
	done
	REPLY=$out
}

_mlp()
{
	local cword=${COMP_CWORD:-0} line=${COMP_LINE-} rest w gap i j=-1
	local prog piece prefix='' cur c quoted='' brk='' files
	local -a words=() args=() out=()

	COMPREPLY=()
	if [[ -n ${COMP_POINT-} ]]; then
		line=${line:0:COMP_POINT}
	fi
	# bash splits words at COMP_WORDBREAKS characters such as =, : and @
	# ("-m loss=" arrives as "loss" "="); glue back the pieces that the
	# command line shows without blanks between them.
	for c in = : @; do
		[[ ${COMP_WORDBREAKS-=:@} == *"$c"* ]] && brk+=$c
	done
	[[ -z $brk ]] && brk=' '
	for ((i = 0; i <= cword; i++)); do
		w=${COMP_WORDS[i]-}
		gap=1
		if [[ -n $line ]]; then
			rest=${line#"${line%%[![:blank:]]*}"}
			[[ ${#rest} -eq ${#line} ]] && gap=0
			if [[ $rest == "$w"* ]]; then
				line=${rest:${#w}}
			else
				gap=1
				line=
			fi
		fi
		if ((i > 1 && !gap)) && [[ -n $w ]] &&
		    [[ -z ${w//[$brk]/} || ${words[j]} == *[$brk] ]]; then
			((i == cword)) && prefix=${words[j]}
			words[j]+=$w
		else
			j=$((j + 1))
			words[j]=$w
			((i == cword)) && prefix=''
		fi
	done
	((j < 0)) && words=("")
	piece=${COMP_WORDS[cword]-}
	# the text readline replaces: after the last break outside quotes
	if [[ $piece == [\'\"]* ]]; then
		quoted=1
	elif [[ $piece == *[$brk]* ]]; then
		prefix+=${piece%"${piece##*["$brk"]}"}
	fi
	_mlp_dequote "${words[${#words[@]} - 1]}"
	cur=$REPLY
	_mlp_dequote "$prefix"
	prefix=$REPLY
	for ((i = 1; i < ${#words[@]} - 1; i++)); do
		_mlp_dequote "${words[i]}"
		args+=("$REPLY")
	done

	prog=${words[0]:-mlp}
	# shellcheck disable=SC2088 # a "~/" typed in the command word
	[[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
	mapfile -t out < <("$prog" __complete "${args[@]}" "$cur" 2>/dev/null)

	# ":files" alone: file names, as readline completes them; with other
	# candidates (a path or a models:/ URI): both, directories with a "/"
	files=
	for c in "${out[@]}"; do
		[[ $c == :files ]] && files=1
	done
	if [[ -n $files && ${#out[@]} -eq 1 ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "${cur#"$prefix"}")
		return 0
	fi
	if [[ -n $files ]]; then
		while IFS= read -r c; do
			[[ -d $c ]] && c+=/
			out+=("$prefix$c")
		done < <(compgen -f -- "${cur#"$prefix"}")
	fi
	for c in "${out[@]}"; do
		c=${c%%$'\t'*}
		[[ -z $c || $c == :files ]] && continue
		[[ -n $prefix && $c == "$prefix"* ]] && c=${c:${#prefix}}
		# a candidate with blanks or quotes typed outside quotes must be
		# escaped to stay one word
		if [[ -z $quoted && $c == *[[:space:]\'\"\\\$\`\;\&\|\<\>\(\)\*\?]* ]]; then
			printf -v c %q "$c"
		fi
		COMPREPLY+=("$c")
	done
	# "loss=", "metrics.", "a,", "models:/fraud/" and "models:/fraud@"
	# expect more to follow
	if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *[=.,/@:] ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -o default -F _mlp mlp
